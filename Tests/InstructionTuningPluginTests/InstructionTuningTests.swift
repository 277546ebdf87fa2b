import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchTestSupport

/// An instruction-tuning sweep small enough for a debug build: a tiny model, I = 8 and 16, a few
/// steps, two seeds of the model and an ablation run at I = 16. It checks the plumbing (runs, scores in the log, analysis, report, rerun, generate),
/// not what the model learns — that is experiments/instruct.yaml's job.
private let tinySweep = """
  plugin: instruction-tuning
  name: tiny-instruct
  seed: 0
  model: {n_layer: 1, d_model: 16, n_head: 2, seeds: 2}
  instructions: [8, 16]
  pretraining: {steps: 4, batch: 4}
  finetuning: {steps: 6, batch: 4, warmup_steps: 2}
  evaluation: {instances: 1, max_tokens: 4, tasks_per_family: 2, validation_per_family: 1, validate_every: 3}
  ablation: {model: {n_layer: 1, d_model: 16, n_head: 2}, instructions: 16, encodings: [pos]}
  """

@Suite(.serialized) struct InstructionTuningTests {
  let folder = TemporaryDirectory()
  var log: String { folder.path("workbench.sqlite") }

  @Test func sweepLogsEveryTierWithBaselinesAndReprintsOnRerun() throws {
    folder.write("tiny.yaml", tinySweep)
    let first = try WorkbenchProcess.run(["run", "tiny.yaml", "--device", "cpu"], in: folder.url)
    #expect(first.status == 0, "\(first.stderr)")
    let runs = try runs(in: log)
    // two I values × two seeds, and one ablation run (pos) at I = 16
    #expect(runs.count == 5 && runs.allSatisfy { $0.status == .finished })
    #expect(runs.filter { $0.config.contains("\"pos\"") }.count == 1)
    #expect(Set(runs.map(\.seed)) == [0, 1])
    let count = { (sql: String) in
      try sqlite3(self.log, sql, readOnly: true).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    for tier in ["seen", "unseen-binding", "unseen-family", "unseen-category"] {
      #expect(
        try count("SELECT count(*) FROM metric WHERE name = 'score.\(tier).exact_match' AND value BETWEEN 0 AND 100")
          == "5", "\(tier)")
      // copy-input, copy-demo-output, majority-label; nearest-seen on unseen bindings of tuned families
      let baselines = tier == "unseen-binding" ? 4 : 3
      #expect(
        try count("SELECT count(*) FROM metric WHERE name LIKE 'baseline.%.\(tier).exact_match'") == "\(5 * baselines)",
        "\(tier)")
    }
    // two families' worth of test instructions per seen family: 8 seen families × 2 × 1 instance
    #expect(
      try count("SELECT DISTINCT CAST(value AS INTEGER) FROM metric WHERE name = 'score.unseen-binding.answers'")
        == "16")
    // per-task scores: I = 8 tunes on eight instructions, I = 16 on those and eight more (nested)
    #expect(
      try count("SELECT count(DISTINCT name) FROM metric WHERE name LIKE 'score.seen.task.%.exact_match'") == "16")
    // the checkpoint is chosen on validation instructions, at steps 3 and 6
    #expect(try count("SELECT count(*) FROM metric WHERE name = 'validation.exact_match'") == "10")
    #expect(try count("SELECT count(*) FROM metric WHERE name = 'selected_step' AND value IN (3, 6)") == "5")
    #expect(first.stdout.contains("unseen-binding") && first.stdout.contains("baselines on unseen-binding"))
    #expect(first.stdout.contains("nearest-seen"))
    #expect(first.stdout.contains("instructions vs examples (L1 d16, I = 16"), "\(first.stdout)")
    #expect(FileManager.default.fileExists(atPath: folder.path("runs/tiny-instruct/report.html")))
    // the analysis reads the log: the same numbers again, and nothing runs
    let again = try WorkbenchProcess.run(["run", "tiny.yaml", "--device", "cpu"], in: folder.url)
    #expect(again.status == 0)
    #expect(again.stderr.contains("already finished"))
    let table = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("L1 d16") } }
    #expect(table(again.stdout) == table(first.stdout) && !table(first.stdout).isEmpty)

    let side = try WorkbenchProcess.run(
      [
        "generate", "--experiment", "tiny-instruct", "--instruction", "swap each a with b", "--input",
        "a b c", "--max-tokens", "3",
      ], in: folder.url)
    #expect(side.status == 0, "\(side.stderr)")
    #expect(side.stdout.contains("base model") && side.stdout.contains("tuned model"), "\(side.stdout)")
    #expect(side.stdout.contains("Definition: swap each a with b ."))
  }

  @Test func aRunReusesAnotherRunsModelByKey() throws {
    folder.write("tiny.yaml", tinySweep)
    let first = try WorkbenchProcess.run(["run", "tiny.yaml", "--device", "cpu", "-q"], in: folder.url)
    #expect(first.status == 0, "\(first.stderr)")
    let tuned = try #require(
      try runs(in: log).first {
        $0.config.contains("\"instructions\":16") && $0.seed == 0 && !$0.config.contains("\"pos\"")
      })
    // I = 0 on the I = 16 run's model: no pretraining, no tuning — the same model, the same answers
    folder.write(
      "reuse.yaml",
      """
      plugin: instruction-tuning
      name: reuse
      seed: 0
      model: {n_layer: 1, d_model: 16, n_head: 2}
      instructions: 0
      pretraining: {from_run: \(tuned.key.prefix(10))}
      finetuning: {steps: 0}
      evaluation: {instances: 1, max_tokens: 4, tasks_per_family: 2}
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
      "plugin: instruction-tuning\nname: missing\nmodel: {n_layer: 1, d_model: 16, n_head: 2}\ninstructions: 0\npretraining: {from_run: fffffffffff}\nfinetuning: {steps: 0}\nevaluation: {instances: 1}\n"
    )
    let missing = try WorkbenchProcess.run(["run", "missing.yaml", "--device", "cpu", "-q"], in: folder.url)
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("no run 'fffffffffff' in the log"), "\(missing.stderr)")
  }

  @Test func tasksAndScoreCommands() throws {
    let list = try WorkbenchProcess.run(["tasks", "list"], in: folder.url)
    #expect(list.status == 0)
    #expect(list.stdout.contains("replace-pair") && list.stdout.contains("61200"), "\(list.stdout)")
    let family = try WorkbenchProcess.run(
      ["tasks", "list", "--family", "remove-set", "--tier", "unseen-binding", "--limit", "3"], in: folder.url)
    #expect(family.status == 0)
    #expect(family.stdout.split(separator: "\n").filter { $0.hasPrefix("remove-set(") }.count == 3)
    #expect(family.stdout.contains("unseen-binding") && !family.stdout.contains(" seen "))
    let typo = try WorkbenchProcess.run(["tasks", "list", "--family", "remove-sets"], in: folder.url)
    #expect(typo.status == 1 && typo.stderr.contains("did you mean remove-set?"))
    let show = try WorkbenchProcess.run(
      ["tasks", "show", "remove-set(s1=b,s2=e,s3=g,s4=k)", "--encoding", "def+pos+neg"], in: folder.url)
    #expect(show.status == 0)
    #expect(
      show.stdout.contains("Negative Example 2 -") && show.stdout.contains("Definition: remove every b , e , g and k"))
    let missing = try WorkbenchProcess.run(["tasks", "show", "remove-set"], in: folder.url)
    #expect(missing.status == 1 && missing.stderr.contains("remove-set takes s1, s2, s3, s4"), "\(missing.stderr)")
    // More instructions than the suite holds: one line naming the limit, nothing runs.
    folder.write("many.yaml", tinySweep.replacingOccurrences(of: "instructions: [8, 16]", with: "instructions: 200000"))
    let many = try WorkbenchProcess.run(["run", "many.yaml", "--device", "cpu"], in: folder.url)
    #expect(many.status != 0)
    #expect(many.stderr.contains("the suite holds 95697 distinct seen instructions"), "\(many.stderr)")
    #expect(!FileManager.default.fileExists(atPath: log))
    let rouge = try WorkbenchProcess.run(
      ["score", "rouge-l", "--prediction", "running dogs", "--reference", "the dog runs"], in: folder.url)
    #expect(rouge.stdout.contains("ROUGE-L 40.0000"))
    let exact = try WorkbenchProcess.run(
      ["score", "exact-match", "--prediction", "12,345", "--reference", "12345"], in: folder.url)
    #expect(exact.stdout.contains("exact match 100"))
  }
}
