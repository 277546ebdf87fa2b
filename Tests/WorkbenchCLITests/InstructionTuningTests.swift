import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchTestSupport

/// An instruction-tuning sweep small enough for a debug build: a tiny model, K = 2 and 4, a few
/// steps. It checks the plumbing (runs, scores in the log, analysis, report, rerun, generate),
/// not what the model learns — that is experiments/instruct.yaml's job.
private let tinySweep = """
  plugin: instruction-tuning
  name: tiny-instruct
  seed: 0
  model: {n_layer: 1, d_model: 16, n_head: 2}
  tasks: [2, 4]
  pretraining: {steps: 4, batch: 4}
  finetuning: {steps: 6, batch: 4, warmup_steps: 2}
  evaluation: {instances: 1, max_tokens: 4}
  """

@Suite(.serialized) struct InstructionTuningTests {
  let folder = TemporaryDirectory()
  var log: String { folder.path("workbench.sqlite") }

  @Test func sweepLogsEveryTierWithBaselinesAndReprintsOnRerun() throws {
    folder.write("tiny.yaml", tinySweep)
    let first = try WorkbenchProcess.run(["run", "tiny.yaml", "--device", "cpu"], in: folder.url)
    #expect(first.status == 0, "\(first.stderr)")
    let runs = try runs(in: log)
    #expect(runs.count == 2 && runs.allSatisfy { $0.status == .finished })
    for tier in ["seen", "unseen-binding", "unseen-family", "unseen-category"] {
      let rows = try sqlite3(
        log, "SELECT count(*) FROM metric WHERE name = 'score.\(tier).score' AND value BETWEEN 0 AND 100",
        readOnly: true)
      #expect(rows.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "2", "\(tier)")
      let baselines = try sqlite3(
        log, "SELECT count(*) FROM metric WHERE name LIKE 'baseline.%.\(tier).score'", readOnly: true)
      #expect(baselines.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "6", "\(tier)")
    }
    // per-task scores: K = 2 tunes on two tasks, K = 4 on those two and two more (nested)
    let seen = try sqlite3(
      log,
      "SELECT count(DISTINCT name) FROM metric WHERE name LIKE 'score.seen.task.%.exact_match'", readOnly: true)
    #expect(seen.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "4")
    #expect(first.stdout.contains("unseen-binding") && first.stdout.contains("baselines on unseen-binding"))
    #expect(FileManager.default.fileExists(atPath: folder.path("runs/tiny-instruct/report.html")))
    // the analysis reads the log: the same numbers again, and nothing runs
    let again = try WorkbenchProcess.run(["run", "tiny.yaml", "--device", "cpu"], in: folder.url)
    #expect(again.status == 0)
    #expect(again.stderr.contains("already finished"))
    let table = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("L1 d16") } }
    #expect(table(again.stdout) == table(first.stdout) && !table(first.stdout).isEmpty)

    let side = try WorkbenchProcess.run(
      [
        "generate", "--experiment", "tiny-instruct", "--instruction", "remove each b from the list", "--input",
        "a b c", "--max-tokens", "3",
      ], in: folder.url)
    #expect(side.status == 0, "\(side.stderr)")
    #expect(side.stdout.contains("base model") && side.stdout.contains("tuned model"), "\(side.stdout)")
    #expect(side.stdout.contains("Definition: remove each b from the list ."))
  }

  @Test func aRunReusesAnotherRunsModelByKey() throws {
    folder.write("tiny.yaml", tinySweep)
    let first = try WorkbenchProcess.run(["run", "tiny.yaml", "--device", "cpu", "-q"], in: folder.url)
    #expect(first.status == 0, "\(first.stderr)")
    let tuned = try #require(try runs(in: log).first { $0.config.contains("\"tasks\":4") })
    // K = 0 on the K = 4 run's model: no pretraining, no tuning — the same model, the same answers
    folder.write(
      "reuse.yaml",
      """
      plugin: instruction-tuning
      name: reuse
      seed: 0
      model: {n_layer: 1, d_model: 16, n_head: 2}
      tasks: 0
      pretraining: {from_run: \(tuned.key.prefix(10))}
      finetuning: {steps: 0}
      evaluation: {instances: 1, max_tokens: 4}
      """)
    let reuse = try WorkbenchProcess.run(["run", "reuse.yaml", "--device", "cpu", "-q"], in: folder.url)
    #expect(reuse.status == 0, "\(reuse.stderr)")
    let scores = { (experiment: String) in
      try sqlite3(
        self.log,
        """
        SELECT m.name || '=' || m.value FROM metric m JOIN run r ON r.id = m.run_id
        JOIN experiment e ON e.id = r.experiment_id
        WHERE e.name = '\(experiment)' AND m.name LIKE 'score.unseen-binding.task.%' \(
          experiment == "tiny-instruct" ? "AND r.key = '\(tuned.key)'" : "")
        ORDER BY m.name
        """, readOnly: true
      ).stdout
    }
    let original = try scores("tiny-instruct")
    let reused = try scores("reuse")
    #expect(!original.isEmpty && reused == original)

    // a reference that is not in the log: one line, a failed run, exit 1
    folder.write(
      "missing.yaml",
      "plugin: instruction-tuning\nname: missing\nmodel: {n_layer: 1, d_model: 16, n_head: 2}\ntasks: 0\npretraining: {from_run: fffffffffff}\nfinetuning: {steps: 0}\nevaluation: {instances: 1}\n"
    )
    let missing = try WorkbenchProcess.run(["run", "missing.yaml", "--device", "cpu", "-q"], in: folder.url)
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("no run 'fffffffffff' in the log"), "\(missing.stderr)")
  }

  @Test func tasksAndScoreCommands() throws {
    let list = try WorkbenchProcess.run(["tasks", "list", "--tier", "unseen-binding"], in: folder.url)
    #expect(list.status == 0)
    #expect(list.stdout.contains("unseen-binding") && !list.stdout.contains(" seen "))
    let show = try WorkbenchProcess.run(["tasks", "show", "remove(x=b)", "--encoding", "def+pos+neg"], in: folder.url)
    #expect(show.status == 0)
    #expect(show.stdout.contains("Negative Example 2 -") && show.stdout.contains("Definition: remove each b"))
    let missing = try WorkbenchProcess.run(["tasks", "show", "remove"], in: folder.url)
    #expect(missing.status == 1 && missing.stderr.contains("did you mean remove(x=a)"))
    let rouge = try WorkbenchProcess.run(
      ["score", "rouge-l", "--prediction", "running dogs", "--reference", "the dog runs"], in: folder.url)
    #expect(rouge.stdout.contains("ROUGE-L 40.0000"))
    let exact = try WorkbenchProcess.run(
      ["score", "exact-match", "--prediction", "12,345", "--reference", "12345"], in: folder.url)
    #expect(exact.stdout.contains("exact match 100"))
  }
}
