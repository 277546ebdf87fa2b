import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchTestSupport

/// Instruction tuning on a Super-NaturalInstructions folder (the suite exported in SNI's format
/// by `workbench tasks export`), end to end through the CLI: the runs, the official files as
/// artifacts, the official scores in the log equal to `score sni` on those files, the analysis
/// and report, `generate` with the run's tokenizer, and bad folders refused before anything is
/// written.
@Suite(.serialized) struct SNIExperimentTests {
  let folder = TemporaryDirectory()
  var log: String { folder.path("workbench.sqlite") }

  static let experiment = """
    plugin: instruction-tuning
    name: sni-tiny
    seed: 0
    model: {n_layer: 1, d_model: 16, n_head: 2}
    instructions: [2, 4, 8]
    tasks: {source: sni, path: sni-data, context: 96, test_instances: 3, max_instances_per_task: 10}
    tokenizer: {kind: bpe, vocab: 320}
    pretraining: {steps: 4, batch: 4}
    finetuning: {steps: 6, batch: 4, warmup_steps: 2, encodings: [def, def+pos]}
    evaluation: {max_tokens: 8, encoding: def+pos}
    """

  @Test func runsLogTheOfficialScoresOfTheirOwnFiles() throws {
    let export = try WorkbenchProcess.run(
      ["tasks", "export", "sni-data", "--train", "12", "--test", "4", "--instances", "12"], in: folder.url)
    #expect(export.status == 0, "\(export.stderr)")
    let list = try WorkbenchProcess.run(["tasks", "list", "--source", "sni-data"], in: folder.url)
    #expect(list.stdout.contains("12 training and 4 test tasks, 16 of them English"), "\(list.stdout)")

    folder.write("sni.yaml", Self.experiment)
    let run = try WorkbenchProcess.run(["run", "sni.yaml", "--device", "cpu"], in: folder.url)
    #expect(run.status == 0, "\(run.stderr)")
    let records = try runs(in: log)
    #expect(records.count == 3 && records.allSatisfy { $0.status == .finished })
    #expect(run.stdout.contains("K ∈ {2, 4, 8} training tasks"), "\(run.stdout)")
    #expect(run.stdout.contains("baselines: copy-input exact match"))
    #expect(FileManager.default.fileExists(atPath: folder.path("runs/sni-tiny/report.html")))

    let logFile = try RunLog(path: log, readOnly: true)
    for record in records {
      let artifacts = try logFile.artifacts(runID: record.id!)
      let path = { (kind: String) in try #require(artifacts.first { $0.kind == kind }?.path) }
      // Each run's tuned tasks: K names; the nested subsets share their first ones.
      let tuned = try String(contentsOfFile: path("tuned-tasks"), encoding: .utf8).split(separator: "\n")
      #expect(record.config.contains("\"instructions\":\(tuned.count)"))
      // The official score of the run's own files, recomputed by `score sni`, is what the log holds.
      let score = try WorkbenchProcess.run(
        ["score", "sni", "--predictions", path("sni-predictions"), "--references", path("sni-references"), "--json"],
        in: folder.url)
      #expect(score.status == 0, "\(score.stderr)")
      let official = try #require(
        try JSONSerialization.jsonObject(with: Data(score.stdout.utf8)) as? [String: Double])
      let metrics = Dictionary(
        try logFile.metrics(runID: record.id!).map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
      #expect(metrics["sni.exact_match"] == official["exact_match_default_track"])
      #expect(metrics["sni.rougeL"] == official["rougeL_default_track"])
      #expect(metrics["sni.answers"] == 12)  // 4 test tasks × 3 instances
      let perTask = official.filter { $0.key.hasPrefix("rougeL_for_task") }
      #expect(perTask.count == 4)
      for (key, value) in perTask {
        let task = key.dropFirst("rougeL_for_".count).dropLast("_default_track".count)
        #expect(metrics["sni.task.\(task).rougeL"] == value, "\(task)")
      }
      #expect(official.keys.contains { $0.hasPrefix("exact_match_for_") && !$0.contains("task0") })
      #expect(metrics.keys.contains { $0.hasPrefix("sni.category.") })
      #expect(metrics["sni.baseline.copy-input.rougeL"] != nil)
      #expect(artifacts.contains { $0.kind == "tokenizer" } && artifacts.contains { $0.kind == "checkpoint" })
    }
    // One tokenizer and one base model for all three runs.
    let shared = try FileManager.default.contentsOfDirectory(atPath: folder.path("runs/instruction-bases"))
    #expect(shared.filter { $0.hasSuffix(".bpe") }.count == 1 && shared.filter { $0.hasSuffix(".bin") }.count == 1)

    // A damaged shared tokenizer fails the run that reads it, is set aside, and is trained
    // again (the same bytes: training is deterministic) by the next.
    let tokenizerName = try #require(shared.first { $0.hasSuffix(".bpe") })
    let tokenizerPath = folder.path("runs/instruction-bases/\(tokenizerName)")
    let original = try #require(contents(tokenizerPath))
    var damaged = original
    damaged[damaged.count / 2] ^= 0x20
    try damaged.write(to: URL(fileURLWithPath: tokenizerPath))
    let hurt = try WorkbenchProcess.run(["run", "sni.yaml", "--device", "cpu", "--rerun", "all", "-q"], in: folder.url)
    #expect(hurt.status == 1)
    #expect(
      hurt.stderr.contains("damaged") && hurt.stderr.contains("set aside as \(tokenizerName).damaged"), "\(hurt.stderr)"
    )
    let healed = try WorkbenchProcess.run(["run", "sni.yaml", "--device", "cpu", "-q"], in: folder.url)
    #expect(healed.status == 0, "\(healed.stderr)")
    #expect(contents(tokenizerPath) == original)

    let side = try WorkbenchProcess.run(
      [
        "generate", "--experiment", "sni-tiny", "--instruction", "remove every a from the list", "--input", "a b c",
        "--max-tokens", "4",
      ], in: folder.url)
    #expect(side.status == 0, "\(side.stderr)")
    #expect(side.stdout.contains("tuned model"))
  }

  @Test func badFoldersAreRefusedBeforeAnythingIsWritten() throws {
    _ = try WorkbenchProcess.run(
      ["tasks", "export", "sni-data", "--train", "4", "--test", "2", "--instances", "4"], in: folder.url)
    let cases: [(String, () -> Void, String)] = [
      ("path: nowhere", {}, "nowhere: no such folder"),
      ("path: sni-data, split: other", {}, "splits/other/train_tasks.txt: no such split file; the splits are default"),
      (
        "path: sni-data", { self.folder.write("sni-data/splits/default/test_tasks.txt", "task0099_absent\n") },
        "task task0099_absent is named in the split but"
      ),
      (
        "path: sni-data",
        {
          self.folder.write("sni-data/splits/default/test_tasks.txt", "task0005_broken\n")
          self.folder.write(
            "sni-data/tasks/task0005_broken.json", "{\"Definition\": [\"x\"],\n \"Instances\": [{\"id\": 1,")
        }, "task0005_broken.json: not valid JSON at line 2, column"
      ),
    ]
    for (settings, prepare, expected) in cases {
      prepare()
      folder.write(
        "bad.yaml",
        "plugin: instruction-tuning\nname: bad\nmodel: {n_layer: 1, d_model: 16, n_head: 2}\ninstructions: 2\ntasks: {source: sni, \(settings)}\n"
      )
      let result = try WorkbenchProcess.run(["run", "bad.yaml", "--device", "cpu"], in: folder.url)
      #expect(result.status != 0)
      #expect(result.stderr.contains(expected), "\(result.stderr)")
      #expect(result.stderr.split(separator: "\n").filter { $0.contains("Error") }.count == 1, "\(result.stderr)")
      #expect(try !FileManager.default.fileExists(atPath: log) || runs(in: log).isEmpty)
    }
    // More training tasks than the split holds, and a tokenizer for the generated suite.
    folder.write("sni-data/splits/default/test_tasks.txt", "task0005_broken\n")
    try Data(
      "{\"Definition\": [\"x\"], \"Input_language\": [\"English\"], \"Output_language\": [\"English\"], \"Instruction_language\": [\"English\"], \"Instances\": [{\"id\": \"b-0\", \"input\": \"a\", \"output\": [\"b\"]}]}"
        .utf8
    )
    .write(to: URL(fileURLWithPath: folder.path("sni-data/tasks/task0005_broken.json")))
    for (yaml, expected) in [
      (
        "instructions: 99\ntasks: {source: sni, path: sni-data}\n",
        "'instructions': must be 0…4: split 'default' holds 4 English training tasks"
      ),
      ("instructions: 2\ntokenizer: {kind: bpe}\n", "'tokenizer': applies to Super-NaturalInstructions tasks"),
    ] {
      folder.write(
        "bad.yaml", "plugin: instruction-tuning\nname: bad\nmodel: {n_layer: 1, d_model: 16, n_head: 2}\n" + yaml)
      let result = try WorkbenchProcess.run(["run", "bad.yaml", "--device", "cpu"], in: folder.url)
      #expect(result.status != 0 && result.stderr.contains(expected), "\(result.stderr)")
      #expect(try !FileManager.default.fileExists(atPath: log) || runs(in: log).isEmpty)
    }
  }

  @Test func scoreSNIPrintsTheOfficialReport() throws {
    folder.write(
      "r.jsonl",
      """
      {"id": "a", "references": ["The cat sat"], "task_id": "task1", "task_category": "Text Completion", "track": "default"}
      {"id": "b", "references": ["yes", "Yes."], "task_id": "task2", "task_category": "Answer Verification"}

      """)
    folder.write("p.jsonl", "{\"id\": \"a\", \"prediction\": \"the cats sat down\"}\n")
    let result = try WorkbenchProcess.run(
      ["score", "sni", "--predictions", "p.jsonl", "--references", "r.jsonl", "--output-file", "out.json"],
      in: folder.url)
    #expect(result.status == 0, "\(result.stderr)")
    // a: ROUGE-L of "the cat sat down" (cats → cat) against "the cat sat": P 3/4, R 1 → 6/7; b missing.
    #expect(
      result.stdout == """
        Evaluating track: default
        No prediction for 1 instances. Use empty string as prediction.
        ======== Overall Metrics ========
        exact_match: 0.0
        rougeL: 42.8571
        ======== Metrics per Category ========
        exact_match_for_text_completion: 0.0
        rougeL_for_text_completion: 85.7143
        exact_match_for_answer_verification: 0.0
        rougeL_for_answer_verification: 0.0
        ======== Metrics per Task ========
        exact_match_for_task1: 0.0
        rougeL_for_task1: 85.7143
        exact_match_for_task2: 0.0
        rougeL_for_task2: 0.0

        """)
    #expect(
      contents(folder.path("out.json")).map { String(decoding: $0, as: UTF8.self) }?.contains(
        "\"rougeL_default_track\": 42.8571") == true)
    folder.write("bad.jsonl", "{\"id\": \"a\" \"prediction\": 1}\n")
    let bad = try WorkbenchProcess.run(
      ["score", "sni", "--predictions", "bad.jsonl", "--references", "r.jsonl"], in: folder.url)
    #expect(bad.status != 0 && bad.stderr.contains("bad.jsonl:1: not valid JSON at column 12"), "\(bad.stderr)")
  }
}
