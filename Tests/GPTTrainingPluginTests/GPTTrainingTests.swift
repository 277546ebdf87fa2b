import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchTestSupport

/// A GPT small enough for debug-build tests, on the built-in Markov text.
private func experiment(steps: Int, name: String = "lm") -> String {
  """
  plugin: gpt-train
  name: \(name)
  seed: 3
  model: {n_layer: 2, d_model: 32, n_head: 4, ctx: 32}
  data:
    synthetic: {alphabet: 8, concentration: 0.5, bytes: 100000}
  training: {batch: 8, steps: \(steps), lr: 3e-3, warmup_steps: 10, log_every: 10}
  evaluation: {every: 100, windows: 8}
  """
}

@Suite(.serialized) struct GPTTrainingTests {
  let folder = TemporaryDirectory()
  var log: String { folder.path("workbench.sqlite") }

  @Test func trainsLogsAccountingAndSamples() throws {
    folder.write("lm.yaml", experiment(steps: 60))
    let result = try WorkbenchProcess.run(["run", "lm.yaml"], in: folder.url)
    #expect(result.status == 0, "\(result.stderr)")
    let run = try #require(try runs(in: log).first)
    let perBlock: Int64 = 12 * 32 * 32 + 13 * 32
    let n: Int64 = 2 * perBlock + 2 * 32
    #expect(run.N == n)
    let embeddings: Int64 = 256 * 32 + 32 * 32
    #expect(run.NTotal == n + embeddings)
    #expect(run.D == Int64(60 * 8 * 32))
    #expect(run.C == 6 * Double(run.N!) * Double(run.D!))
    #expect(run.device?.hasPrefix("cpu") == true)
    let names = try sqlite3(log, "SELECT DISTINCT name FROM metric ORDER BY name", readOnly: true).stdout
    #expect(
      names.contains("flops_per_token_exact") && names.contains("val_bits_per_byte") && names.contains("n_kaplan"))
    let generated = try WorkbenchProcess.run(
      ["generate", "--experiment", "lm", "--prompt", "ab", "--max-tokens", "20"], in: folder.url)
    #expect(generated.status == 0, "\(generated.stderr)")
    #expect(generated.stdout.utf8.count >= 22)
  }

  @Test func anInterruptedRunResumesFromItsCheckpointToTheSameResult() throws {
    // Long enough (seconds) that the interrupt lands mid-run.
    // In its own folder: runs/ sits beside the log, and the same key would find this run's checkpoint.
    let elsewhere = TemporaryDirectory()
    elsewhere.write("straight.yaml", experiment(steps: 3000, name: "straight"))
    let straight = try WorkbenchProcess.run(["run", "straight.yaml"], in: elsewhere.url)
    #expect(straight.status == 0, "\(straight.stderr)")
    let expected = try #require(try runs(in: elsewhere.path("workbench.sqlite")).first?.finalValLoss)

    folder.write("lm.yaml", experiment(steps: 3000, name: "straight"))
    let process = try WorkbenchProcess.start(["run", "lm.yaml"], in: folder.url)
    let running = eventually(timeout: 120) { ((try? runs(in: log)) ?? []).contains { $0.status == .running } }
    #expect(running)
    usleep(700_000)
    process.send(SIGINT)
    #expect(process.wait().status == 130)
    let interrupted = try #require(try runs(in: log).first)
    #expect(interrupted.status == .interrupted)
    #expect(FileManager.default.fileExists(atPath: folder.path("runs/straight/\(interrupted.key)/checkpoint.bin")))

    let resumed = try WorkbenchProcess.run(["run", "lm.yaml"], in: folder.url)
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let run = try #require(try runs(in: log).first)
    #expect(run.status == .finished)
    #expect(run.attempts == 2)
    #expect(run.finalValLoss == expected)
    let steps = try sqlite3(log, "SELECT count(*), max(step) FROM metric WHERE name = 'train_loss'", readOnly: true)
    #expect(steps.stdout == "300|3000\n")
  }

  /// A model whose parameters no address space holds (about 844 TB) fails its run with what to
  /// do, recorded in the log; the process exits 1 instead of crashing.
  @Test func aModelTooLargeForMemoryFailsTheRunWithAnError() throws {
    folder.write(
      "huge.yaml",
      """
      plugin: gpt-train
      model: {n_layer: 4096, d_model: 65536, n_head: 1, ctx: 8}
      data: {synthetic: {bytes: 100000}}
      training: {batch: 1, steps: 2}
      """)
    let result = try WorkbenchProcess.run(["run", "huge.yaml", "--quiet"], in: folder.url)
    #expect(result.status == 1, "\(result.stderr)")
    #expect(result.stderr.contains("out of memory: the CPU backend could not allocate"), "\(result.stderr)")
    let run = try #require(try runs(in: log).first)
    #expect(run.status == .failed)
    #expect(run.error?.contains("use a smaller model") == true)
  }

  @Test func aDamagedCheckpointFailsTheResumeWithItsReasonAndTheNextRunStartsOver() throws {
    folder.write("lm.yaml", experiment(steps: 60, name: "damage") + "\ncheckpoint_every: 20\n")
    let first = try WorkbenchProcess.run(["run", "lm.yaml"], in: folder.url)
    #expect(first.status == 0, "\(first.stderr)")
    let original = try #require(try runs(in: log).first)
    let checkpoint = folder.path("runs/damage/\(original.key)/checkpoint.bin")
    // 64 bytes overwritten in the middle of the file, its size unchanged.
    var bytes = try Data(contentsOf: URL(fileURLWithPath: checkpoint))
    let size = bytes.count
    bytes.replaceSubrange((size / 2)..<(size / 2 + 64), with: Data(repeating: 0x41, count: 64))
    try bytes.write(to: URL(fileURLWithPath: checkpoint))

    let generated = try WorkbenchProcess.run(["generate", "--experiment", "damage", "--prompt", "ab"], in: folder.url)
    #expect(generated.status != 0)
    #expect(generated.stderrLines.count == 1, "\(generated.stderr)")
    #expect(generated.stderr.contains("checkpoint \(checkpoint) is damaged"), "\(generated.stderr)")

    // As if the run had been interrupted after its last checkpoint: the next `run` resumes it.
    _ = try sqlite3(log, "UPDATE run SET status = 'interrupted'")
    let resumed = try WorkbenchProcess.run(["run", "lm.yaml"], in: folder.url)
    #expect(resumed.status != 0)
    let failed = try #require(try runs(in: log).first)
    #expect(failed.status == .failed)
    #expect(failed.error?.contains("is damaged") == true, "\(failed.error ?? "no error")")
    #expect(failed.error?.contains("not resumed") == true)
    #expect(!FileManager.default.fileExists(atPath: checkpoint))
    #expect(FileManager.default.fileExists(atPath: checkpoint + ".damaged"))

    // Running the experiment again trains the run from the start, to the same result as before.
    let again = try WorkbenchProcess.run(["run", "lm.yaml"], in: folder.url)
    #expect(again.status == 0, "\(again.stderr)")
    let redone = try #require(try runs(in: log).first)
    #expect(redone.status == .finished)
    #expect(redone.finalValLoss == original.finalValLoss)
  }

  @Test func aMissingCorpusIsAConfigErrorNamingThePath() throws {
    folder.write(
      "bad.yaml",
      """
      plugin: gpt-train
      model: {n_layer: 1, d_model: 8, n_head: 2, ctx: 8}
      data: {corpus: /nowhere/text.txt}
      training: {batch: 2, steps: 3}
      """)
    let result = try WorkbenchProcess.run(["run", "bad.yaml"], in: folder.url)
    #expect(result.status == 1)
    #expect(result.stderrLines.count == 1)
    #expect(result.stderr.contains("bad.yaml:3:16: 'data.corpus': no such file: /nowhere/text.txt"))
  }
}
