import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchLM
import WorkbenchRunLog
import WorkbenchTensor
import WorkbenchVulkan

struct GenerateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "generate",
    abstract: "Continue a prompt with a model trained by a run (greedy, temperature, top-k).",
    discussion: """
      Loads the run's checkpoint (runs/<experiment>/<run-key>/checkpoint.bin) and samples with a
      key/value cache. Examples:
        workbench generate --experiment train --prompt "LANGUAGE, n." --max-tokens 200
        workbench generate --run 3f2a9c0d --prompt "The " --temperature 0.8 --top-k 40 --seed 1
      """)

  @Option(name: .customLong("run"), help: "The run: its key, a unique key prefix, or its id.") var runReference: String?
  @Option(name: .shortAndLong, help: "Use the most recently finished run of this experiment.") var experiment: String?
  @Option(name: .shortAndLong, help: "The text to continue (byte-level models).") var prompt: String?
  @Option(help: "For instruction-tuned runs: the instruction (a task definition).") var instruction: String?
  @Option(help: "For instruction-tuned runs: the input the instruction applies to.") var input: String?
  @Option(
    help: "For instruction-tuned runs: the prompt layout (def, pos, def+pos, …; default def).")
  var encoding: String?
  @Option(help: "Tokens (bytes) to generate.") var maxTokens = 200
  @Option(help: "0 picks the most likely byte each time; higher is more random.") var temperature = 0.0
  @Option(help: "Sample among the k most likely bytes only.") var topK: Int?
  @Option(help: "Seed for sampling.") var seed = 0
  @Option(help: "Kernel threads (default: $WORKBENCH_THREADS, else the number of cores).") var threads: Int?
  @OptionGroup var device: DeviceOptions
  @OptionGroup var log: LogOptions

  func validate() throws {
    if (runReference == nil) == (experiment == nil) { throw ValidationError("give one of --run and --experiment") }
    if prompt?.isEmpty == true { throw ValidationError("--prompt must not be empty") }
    if prompt == nil && (instruction == nil || input == nil) {
      throw ValidationError("give --prompt, or --instruction and --input for an instruction-tuned run")
    }
    if maxTokens < 0 || temperature < 0 { throw ValidationError("--max-tokens and --temperature must be 0 or more") }
    if let topK, topK < 1 { throw ValidationError("--top-k must be at least 1") }
  }

  func run() throws {
    if let threads { CPUBackend.setThreads(threads) }
    let runLog = try RunLog(path: log.path, readOnly: true)
    let record: RunRecord
    if let reference = runReference {
      guard let found = try runLog.run(matching: reference) else {
        throw CommandError("no run '\(reference)' in \(runLog.path); `workbench runs` lists the keys")
      }
      record = found
    } else {
      guard let named = try runLog.experiment(named: experiment!) else {
        throw CommandError("no experiment '\(experiment!)' in \(runLog.path)")
      }
      let withCheckpoints = try runLog.runs(experimentID: named.id, statuses: [.finished]).filter {
        try !runLog.artifacts(runID: $0.id!).filter { $0.kind == "checkpoint" }.isEmpty
      }
      guard let latest = withCheckpoints.max(by: { ($0.finishedAt ?? .distantPast) < ($1.finishedAt ?? .distantPast) })
      else {
        throw CommandError("experiment '\(experiment!)' has no finished run with a checkpoint; run it first")
      }
      record = latest
    }
    // The plugin that made the run says how to prompt its model; nil: a byte-level model.
    let device = self.device
    let artifacts = try runLog.artifacts(runID: record.id!)
    let request = GenerationRequest(
      prompt: prompt, instruction: instruction, input: input, encoding: encoding, maxTokens: maxTokens,
      temperature: temperature, topK: topK, seed: seed)
    if let plugin = InstalledPlugins.plugin(id: record.plugin),
      let lines = try plugin.generate(
        request, from: GenerationSource(record: record, artifacts: artifacts) { try device.select().backend })
    {
      lines.forEach(emit)
      return
    }
    guard let artifact = artifacts.last(where: { $0.kind == "checkpoint" }) else {
      throw CommandError(
        "run \(record.key.prefix(8)) has no checkpoint (it is \(record.status.rawValue), or its plugin keeps no model)")
    }
    guard let prompt else {
      throw CommandError(
        "run \(record.key.prefix(8)) is a byte-level model: give --prompt (--instruction is for instruction-tuned runs)"
      )
    }
    let file: CheckpointFile
    do { file = try CheckpointFile(URL(fileURLWithPath: artifact.path)) } catch { throw CommandError("\(error)") }
    let backend = try device.select().backend
    let model = try file.model(on: backend).model
    let tokenizer = ByteTokenizer()
    let output = Sampler(model: model).generate(
      prompt: tokenizer.encode(prompt),
      options: SamplingOptions(maxTokens: maxTokens, temperature: temperature, topK: topK, seed: seed))
    try backend.synchronize()
    emit(prompt + tokenizer.decode(output))
  }
}
