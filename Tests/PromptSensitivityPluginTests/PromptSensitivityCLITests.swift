import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchTestSupport

/// Checkpoint settings shared by the tiny instruction-tuning run and the prompt probe, so the
/// probe reuses that run's model from the log.
private let recipe = """
  pretraining: {steps: 4, batch: 4}
  finetuning: {steps: 6, batch: 4, warmup_steps: 2}
  evaluation: {instances: 1, max_tokens: 4}
  """

private let tinyProbe = """
  plugin: prompt-sensitivity
  name: tiny-prompts
  seed: 0
  model: {n_layer: 1, d_model: 16, n_head: 2}
  tuning: [base, tuned, augmented]
  checkpoints:
    instructions: 16
    format_augmentation: 3
  \(recipe.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
  probe:
    tasks: ["contains-sequence(x=a,y=c,z=d)", "swap(x=a,y=b)"]
    instances: 4
    formats: 5
    shots: [0, 2]
    selection_seeds: 2
    order_shots: 3
    search_budget: 8
    search_batch: 2
  """

@Suite(.serialized) struct PromptSensitivityCLITests {
  let folder = TemporaryDirectory()
  var log: String { folder.path("workbench.sqlite") }

  func count(_ sql: String) throws -> Int {
    Int(try sqlite3(log, sql, readOnly: true).stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
  }

  @Test func everyEvaluationIsARowAndTheTunedModelIsReused() throws {
    folder.write(
      "instruct.yaml",
      "plugin: instruction-tuning\nname: tiny-instruct\nseed: 0\nmodel: {n_layer: 1, d_model: 16, n_head: 2}\ninstructions: 16\n"
        + recipe)
    let tuning = try WorkbenchProcess.run(["run", "instruct.yaml", "--device", "cpu", "-q"], in: folder.url)
    #expect(tuning.status == 0, "\(tuning.stderr)")
    folder.write("prompts.yaml", tinyProbe)
    let first = try WorkbenchProcess.run(["run", "prompts.yaml", "--device", "cpu"], in: folder.url)
    #expect(first.status == 0, "\(first.stderr)")
    let all = try runs(in: log)
    #expect(all.count == 4 && all.allSatisfy { $0.status == .finished })

    // a generation task is scored by exact match, a classification task also calibrated
    #expect(
      try count("SELECT count(*) FROM metric WHERE name LIKE 'format.swap(x=a,y=b).%.exact_match'") == 2 * 2 * 5 * 3)
    #expect(try count("SELECT count(*) FROM metric WHERE name LIKE 'format.swap(x=a,y=b).%.calibrated'") == 0)
    #expect(
      try count("SELECT count(*) FROM metric WHERE name LIKE 'format.contains-sequence(x=a,y=c,z=d).%.calibrated'") > 0)

    // the tuned probe loaded the instruction-tuning run's model; base and augmented trained theirs
    let tuned = try #require(all.first { $0.plugin == "instruction-tuning" })
    let reused = try sqlite3(
      log, "SELECT a.path FROM artifact a JOIN run r ON r.id = a.run_id WHERE a.kind = 'probed-checkpoint'",
      readOnly: true
    ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(reused.hasSuffix("\(tuned.key)/checkpoint.bin"), "\(reused)")
    #expect(
      try count(
        "SELECT count(*) FROM run r JOIN artifact a ON a.run_id = r.id WHERE r.plugin = 'prompt-sensitivity' AND a.kind = 'checkpoint'"
      ) == 2)

    // each (model, task, axis, variant, score) a row — three scores for the classification task
    // (score, acc_norm, calibrated), two for the generation task (score, exact_match): formats
    // 2 k × 2 sets × 5 formats, orders 3!, wordings 3, for 3 models; every prompt fits
    let rows = { (axis: String) in
      try self.count("SELECT count(*) FROM metric WHERE name LIKE '\(axis).%' AND name NOT LIKE '%.skipped'")
    }
    #expect(try count("SELECT count(*) FROM metric WHERE name LIKE '%.skipped'") == 0)
    #expect(try rows("format") == 2 * 2 * 5 * (3 + 2) * 3)
    #expect(try rows("order") == 6 * (3 + 2) * 3)
    #expect(try rows("wording") == 3 * (3 + 2) * 3)
    #expect(try count("SELECT count(*) FROM metric WHERE name LIKE 'search.%.calls' AND value > 0") == 1 * 3)
    #expect(
      try count(
        "SELECT count(*) FROM metric WHERE name LIKE 'format.%' AND value NOT BETWEEN 0 AND 100 AND name NOT LIKE '%.skipped'"
      ) == 0)

    #expect(first.stdout.contains("format spread") && first.stdout.contains("calibration, L1 d16 tuned"))
    #expect(first.stdout.contains("format augmentation, L1 d16: single-format − augmented"))
    #expect(first.stdout.contains("ρ ="))
    #expect(FileManager.default.fileExists(atPath: folder.path("runs/tiny-prompts/report.html")))

    // docs/prompt-sensitivity.md's query (on this experiment) recomputes the report's per-task statistics
    let readme = try String(
      contentsOf: packageRoot.appendingPathComponent("docs/prompt-sensitivity.md"), encoding: .utf8)
    let start = try #require(readme.range(of: "SELECT r.label AS model, m.name AS evaluation"))
    let end = try #require(readme.range(of: ";", range: start.upperBound..<readme.endIndex))
    let query = String(readme[start.lowerBound..<end.upperBound])
      .replacingOccurrences(of: "e.name = 'prompts'", with: "e.name = 'tiny-prompts'")
    let spreads = try sqlite3(log, query, readOnly: true)
    #expect(spreads.status == 0, "\(spreads.stderr)")
    #expect(spreads.stdout.split(separator: "\n").count == 3 * 2 * 2 * 2)
    let report = try String(contentsOfFile: folder.path("runs/tiny-prompts/report.html"), encoding: .utf8)
    for line in spreads.stdout.split(separator: "\n") where line.contains(".k0.seed0.score") {
      // model|evaluation|formats|mean|sd|min|max|spread: the report's row for that task at k = 0
      let f = line.split(separator: "|").map(String.init)
      let task = f[1].replacingOccurrences(of: "format.", with: "").replacingOccurrences(
        of: ".k0.seed0.score", with: "")
      #expect(
        report.contains("<td>\(task.htmlEscapedForTest)</td><td>0</td><td>\(f[2])</td><td>\(f[3])</td>"), "\(line)")
    }

    let again = try WorkbenchProcess.run(["run", "prompts.yaml", "--device", "cpu"], in: folder.url)
    #expect(again.status == 0 && again.stderr.contains("already finished"))
    let table = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("L1 d16") } }
    #expect(table(again.stdout) == table(first.stdout) && !table(first.stdout).isEmpty)

    folder.write(
      "bad.yaml", tinyProbe.replacingOccurrences(of: "\"contains-sequence(x=a,y=c,z=d)\"", with: "sort-words"))
    let bad = try WorkbenchProcess.run(["run", "bad.yaml", "--device", "cpu"], in: folder.url)
    #expect(bad.status != 0 && bad.stderr.contains("no task 'sort-words' in the suite"), "\(bad.stderr)")
    folder.write(
      "typo.yaml", tinyProbe.replacingOccurrences(of: "\"swap(x=a,y=b)\"", with: "\"swop(x=a,y=b)\""))
    let typo = try WorkbenchProcess.run(["run", "typo.yaml", "--device", "cpu"], in: folder.url)
    #expect(typo.status != 0 && typo.stderr.contains("did you mean swap?"), "\(typo.stderr)")
  }
}

extension String {
  fileprivate var htmlEscapedForTest: String {
    replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;")
  }
}
