import ArgumentParser
import Foundation
import WorkbenchInstructions
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
    help: "For instruction-tuned runs: the prompt layout (def, pos, def+pos, …; demonstrations need a suite task).")
  var encoding: InstructionEncoding = .definition
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
        throw CLIError("no run '\(reference)' in \(runLog.path); `workbench runs` lists the keys")
      }
      record = found
    } else {
      guard let named = try runLog.experiment(named: experiment!) else {
        throw CLIError("no experiment '\(experiment!)' in \(runLog.path)")
      }
      let withCheckpoints = try runLog.runs(experimentID: named.id, statuses: [.finished]).filter {
        try !runLog.artifacts(runID: $0.id!).filter { $0.kind == "checkpoint" }.isEmpty
      }
      guard let latest = withCheckpoints.max(by: { ($0.finishedAt ?? .distantPast) < ($1.finishedAt ?? .distantPast) })
      else {
        throw CLIError("experiment '\(experiment!)' has no finished run with a checkpoint; run it first")
      }
      record = latest
    }
    guard let artifact = try runLog.artifacts(runID: record.id!).last(where: { $0.kind == "checkpoint" }) else {
      throw CLIError(
        "run \(record.key.prefix(8)) has no checkpoint (it is \(record.status.rawValue), or its plugin keeps no model)")
    }
    if record.plugin == InstructionTuning.pluginID {
      return try answerSideBySide(record, runLog: runLog, tuned: URL(fileURLWithPath: artifact.path))
    }
    guard let prompt else {
      throw CLIError(
        "run \(record.key.prefix(8)) is a byte-level model: give --prompt (--instruction is for instruction-tuned runs)"
      )
    }
    let url = URL(fileURLWithPath: artifact.path)
    let header: Checkpoint
    do {
      header = try Checkpoint.read(from: url)
    } catch {
      throw CLIError("\(error)")
    }
    let backend = try device.select().backend
    let model = GPT(header.model, on: backend, seed: 0)
    _ = try Checkpoint.read(from: url, into: model)
    let tokenizer = ByteTokenizer()
    let output = Sampler(model: model).generate(
      prompt: tokenizer.encode(prompt),
      options: SamplingOptions(maxTokens: maxTokens, temperature: temperature, topK: topK, seed: seed))
    try backend.synchronize()
    emit(prompt + tokenizer.decode(output))
  }

  /// The lecture's "serendipity" slide: the base model continues the prompt, the tuned model
  /// answers it.
  private func answerSideBySide(_ record: RunRecord, runLog: RunLog, tuned: URL) throws {
    guard let instruction, let input else {
      throw CLIError("run \(record.key.prefix(8)) is instruction-tuned: give --instruction and --input")
    }
    let config: InstructionTuningConfig
    do {
      config = try JSONDecoder().decode(InstructionTuningConfig.self, from: Data(record.config.utf8))
    } catch {
      throw CLIError("run \(record.key.prefix(8)): its logged config is not an instruction-tuning config (\(error))")
    }
    let text = encoding.prompt(definition: instruction, input: input)
    let prompt: [Int32]
    let decode: ([Int32]) -> String
    let stop: Int32
    let vocabulary: Int
    if config.sni != nil {
      // Super-NaturalInstructions runs: the BPE tokenizer stored with the run.
      let tokenizer: BPETokenizer
      if let file = try runLog.artifacts(runID: record.id!).last(where: { $0.kind == "tokenizer" }) {
        do { tokenizer = try BPETokenizer(contentsOf: URL(fileURLWithPath: file.path)) } catch {
          throw CLIError("\(error)")
        }
      } else if (config.tokenizer ?? TokenizerSettings()).kind == "byte" {
        tokenizer = BPETokenizer(merges: [])
      } else {
        throw CLIError("run \(record.key.prefix(8)) lists no tokenizer file among its artifacts; run it again")
      }
      prompt = [tokenizer.endOfTextID] + tokenizer.encode(text)
      decode = tokenizer.decode
      stop = tokenizer.endOfTextID
      vocabulary = tokenizer.vocabulary
    } else {
      let tokenizer = InstructionTuning.data(config.suiteSeed).tokenizer
      let unknown = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init).filter {
        tokenizer.encode($0) == [1]
      }
      if !unknown.isEmpty {
        writeStandardErrorLine(
          "words outside the suite's vocabulary (read as <unk>): \(unknown.joined(separator: ", "))")
      }
      prompt = [tokenizer.endOfTextID] + tokenizer.encode(text)
      decode = tokenizer.decode
      stop = tokenizer.endOfTextID
      vocabulary = tokenizer.vocabulary
    }
    var answers: [(String, String)] = []
    let base = try runLog.artifacts(runID: record.id!).last { $0.kind == "base-checkpoint" }
    let backend = try device.select().backend
    for (label, url) in [("base model", base.map { URL(fileURLWithPath: $0.path) }), ("tuned model", tuned)] {
      guard let url else { continue }
      let header: Checkpoint
      do { header = try Checkpoint.read(from: url) } catch { throw CLIError("\(error)") }
      guard header.model.vocabulary == vocabulary else {
        throw CLIError(
          "\(url.path): the model's vocabulary (\(header.model.vocabulary)) is not the tokenizer's (\(vocabulary))")
      }
      let model = GPT(header.model, on: backend, seed: 0)
      _ = try Checkpoint.read(from: url, into: model)
      let limit = max(1, min(maxTokens, header.model.context - 1 - min(prompt.count, header.model.context - 2)))
      let kept = SNIData.fit(prompt, budget: header.model.context - 1 - limit)
      let output = try GreedyDecoder(model: model, batch: 1).decode([kept], maxTokens: limit, stop: stop)[0]
      answers.append((label, decode(output)))
    }
    emit(text)
    let width = max(12, answers.map(\.0.count).max() ?? 0)
    for (label, answer) in answers {
      emit(
        label.padding(toLength: width, withPad: " ", startingAt: 0) + "│ "
          + answer.replacingOccurrences(of: "\n", with: " ⏎ "))
    }
  }
}
