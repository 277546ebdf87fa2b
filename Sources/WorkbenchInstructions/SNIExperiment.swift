import Foundation
import WorkbenchFiles
import WorkbenchKit
import WorkbenchLM
import WorkbenchRandom
import WorkbenchTensor

/// Where an instruction-tuning experiment's tasks come from (`tasks:`): workbench's generated
/// suite (the default) or a Super-NaturalInstructions folder.
public struct TaskSourceSettings: ConfigSection, Equatable {
  /// `suite` or `sni`.
  public var source = "suite"
  /// With `sni`: the folder and split.
  public var sni: SNISource?
  /// With `sni`: tokens per row (prompts longer than the context lose their middle).
  public var context = Self.defaultContext

  public static let defaultContext = 512

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key(
        "source", \.source, type: "suite | sni",
        "the generated suite, or Super-NaturalInstructions (I: training tasks of the split)"),
      .key("context", \.context, "with sni: tokens per row (long prompts lose their middle)"),
      .inline(\.sniKeys),
    ]
  }

  /// The SNI keys sit beside `source` in the same mapping.
  private var sniKeys: SNISource {
    get { sni ?? SNISource() }
    set { sni = newValue }
  }

  public mutating func finishDecoding() throws {
    guard ["suite", "sni"].contains(source) else {
      throw ConfigIssue(["source"], "must be suite or sni, not '\(source)'")
    }
    guard source == "sni" else {
      guard sni == SNISource(), context == Self.defaultContext else {
        throw ConfigIssue(["source"], "path, split, context and the other SNI keys apply to source: sni only")
      }
      sni = nil
      return
    }
    guard sni?.path.isEmpty == false else {
      throw ConfigIssue(["path"], "missing: source sni reads a natural-instructions folder (tasks/, splits/)")
    }
  }

  /// Written as before declared keys existed (run keys stay the same): the source, then the SNI
  /// keys only for SNI.
  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: ConfigFieldKey.self)
    try c.encode(source, forKey: ConfigFieldKey(stringValue: "source"))
    if let sni {
      try c.encode(context, forKey: ConfigFieldKey(stringValue: "context"))
      try sni.encode(to: encoder)
    }
  }
}

/// How a run on Super-NaturalInstructions is made and scored: the split's training tasks train a
/// byte-level BPE tokenizer and pretrain a base model (definitions and inputs: no answers), the
/// model is tuned on K training tasks drawn from the split (nested subsets), answers the first
/// instances of every test task greedily, and is scored exactly as SNI's official evaluation
/// scores its `predictions.jsonl` against `references.jsonl` (both kept as artifacts).
public enum SNIExperiment {
  /// The dataset of a config (read once per process); `progress` hears about large files.
  public static func dataset(_ config: InstructionTuningConfig, progress: (String) -> Void = { _ in }) throws
    -> SNIDataset
  {
    guard let source = config.tasks?.sni else { throw SNIError(.notSNI, "the experiment's tasks are not from SNI") }
    return try SNIDataset.cached(source, progress: progress)
  }

  /// Checks an SNI config against its data (before any run starts).
  public static func validate(_ config: InstructionTuningConfig, dataset: SNIDataset) throws {
    let source = config.tasks!.sni!
    guard ["english", "all"].contains(source.languages) else {
      throw ConfigIssue(["tasks", "languages"], "must be english or all")
    }
    for (key, value, range) in [
      ("max_instances_per_task", source.maxInstancesPerTask, 1...1_000_000),
      ("test_instances", source.testInstances, 1...1_000_000), ("test_tasks", source.testTasks, 0...1_000_000),
      ("context", config.tasks!.context, 32...8192),
    ] where !range.contains(value) {
      throw ConfigIssue(["tasks", key], "must be \(range.lowerBound)…\(range.upperBound)")
    }
    let tokenizer = config.tokenizer ?? TokenizerSettings()
    guard ["bpe", "byte"].contains(tokenizer.kind) else {
      throw ConfigIssue(["tokenizer", "kind"], "must be bpe or byte")
    }
    guard tokenizer.kind == "byte" || (BPETokenizer.baseVocabulary...65_536).contains(tokenizer.vocab) else {
      throw ConfigIssue(["tokenizer", "vocab"], "must be \(BPETokenizer.baseVocabulary)…65536")
    }
    guard config.evaluation.maxTokens < config.tasks!.context / 2 else {
      throw ConfigIssue(["evaluation", "max_tokens"], "must be below half of tasks.context (\(config.tasks!.context))")
    }
    guard config.instructions <= dataset.train.count else {
      throw ConfigIssue(
        ["instructions"],
        "must be 0…\(dataset.train.count): split '\(source.split)' holds \(dataset.train.count) "
          + "\(source.languages == "english" ? "English " : "")training tasks")
    }
  }

  /// `runs/instruction-bases/`: tokenizers and base models shared by the runs of a log's folder.
  static func sharedFolder(_ context: RunContext) throws -> URL {
    let folder = context.directory.deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("instruction-bases")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
  }

  /// The run's tokenizer: trained once per dataset and vocabulary (the first run holds the lock
  /// while it trains), stored beside the base models and recorded as the run's `tokenizer` artifact.
  public static func tokenizer(_ config: InstructionTuningConfig, dataset: SNIDataset, context: RunContext) throws
    -> BPETokenizer
  {
    let settings = config.tokenizer ?? TokenizerSettings()
    guard settings.kind == "bpe" else { return BPETokenizer(merges: []) }
    let s = dataset.source
    let description =
      "bpe \(settings.vocab) \(s.root.standardizedFileURL.path) \(s.split) \(s.languages) \(s.maxInstancesPerTask) "
      + "tasks \(dataset.trainingFingerprint)"
    let url = try sharedFolder(context).appendingPathComponent(
      String(format: "tokenizer-%016llx.bpe", SeededGenerator.hash(description)))
    try FileLock.withLock(at: url.appendingPathExtension("lock"), check: { try context.checkCancellation() }) {
      guard !FileManager.default.fileExists(atPath: url.path) else { return }
      context.note("training a \(settings.vocab)-token BPE tokenizer on the training tasks' text")
      let tokenizer = BPETokenizer.train(texts: SNIData.tokenizerText(dataset), vocabulary: settings.vocab)
      try tokenizer.serialized().writeAtomically(to: url)
    }
    let tokenizer: BPETokenizer
    do {
      tokenizer = try BPETokenizer(contentsOf: url)
    } catch {
      // A damaged shared tokenizer is set aside: the next run trains it again.
      let kept = Checkpoint.setAside(url)
      throw BPEFileError(
        error.code,
        "\(error.description); set aside as \(kept.lastPathComponent): run the experiment again to train it anew")
    }
    try context.recordArtifact(kind: "tokenizer", url: url)
    return tokenizer
  }

  public static func gptConfig(_ config: InstructionTuningConfig, vocabulary: Int) -> GPTConfig {
    GPTConfig(
      layers: config.model.layers, width: config.model.width, heads: config.model.heads,
      context: config.tasks!.context, vocabulary: vocabulary)
  }

  /// The training tasks a run is tuned on.
  public static func tunedTasks(_ config: InstructionTuningConfig, dataset: SNIDataset) -> [SNITask] {
    dataset.trainingSubset(config.instructions, seed: config.subsetSeed)
  }

  /// Trains, answers, writes the official files and logs the official scores.
  public static func execute(_ config: InstructionTuningConfig, seed: Int, context: RunContext) throws -> RunSummary {
    let dataset = try Self.dataset(config) { context.note($0) }
    let tokenizer = try Self.tokenizer(config, dataset: dataset, context: context)
    let data = SNIData(
      dataset: dataset, tokenizer: tokenizer, context: config.tasks!.context,
      maxAnswerTokens: config.evaluation.maxTokens)
    let shape = gptConfig(config, vocabulary: tokenizer.vocabulary)
    let p = config.pretraining
    let model = GPT(shape, on: context.backend, seed: p.seed)
    let description =
      "sni L\(shape.layers) d\(shape.width) h\(shape.heads) ctx\(shape.context) vocab\(tokenizer.vocabulary) "
      + "tok\(Checkpoint.checksum(tokenizer.serialized()[...])) \(dataset.source.root.standardizedFileURL.path) "
      + "\(dataset.source.split) \(dataset.source.languages) \(dataset.source.maxInstancesPerTask) "
      + "\(SeededGenerator.hash(dataset.trainingFingerprint)) steps\(p.steps) batch\(p.batch) lr\(p.lr) seed\(p.seed) v\(InstructionTuning.version)"
    let base = try sharedFolder(context).appendingPathComponent(
      String(format: "base-sni-%016llx.bin", SeededGenerator.hash(description)))
    let total = p.steps + config.finetuning.steps
    let pretrainedHere = try FileLock.withLock(
      at: base.appendingPathExtension("lock"), check: { try context.checkCancellation() }
    ) {
      guard !FileManager.default.fileExists(atPath: base.path) else { return false }
      try data.pretrain(model, steps: p.steps, batch: p.batch, learningRate: p.lr, seed: UInt64(p.seed)) {
        step, loss in
        try context.checkCancellation()
        try context.log(InstructionMetricName.pretrainLoss, step: step, value: loss)
        context.progress(step: step, of: total, loss: loss)
      }
      try Checkpoint.writeFinished(model, steps: p.steps, batch: p.batch, to: base)
      return true
    }
    if !pretrainedHere { try InstructionTuning.readBase(base, into: model) }
    try context.recordArtifact(kind: "base-checkpoint", url: base)

    let tuned = tunedTasks(config, dataset: dataset)
    let f = config.finetuning
    let done = pretrainedHere ? p.steps : 0
    var lastLoss: Double?
    try data.finetune(
      model, tasks: tuned, encodings: f.encodings, steps: f.steps, batch: f.batch, learningRate: f.lr,
      warmup: f.warmupSteps, seed: UInt64(seed) &+ UInt64(config.subsetSeed) &* 1_000_003
    ) { step, loss in
      try context.checkCancellation()
      lastLoss = loss
      try context.log(InstructionMetricName.trainLoss, step: step, value: loss)
      context.progress(step: done + step, of: done + f.steps, loss: loss)
    }
    try Checkpoint.writeFinished(model, steps: f.steps, batch: f.batch, to: context.checkpointURL)
    try context.recordArtifact(kind: "checkpoint", url: context.checkpointURL)
    _ = try context.writeArtifact(
      kind: "tuned-tasks", name: "tuned-tasks.txt", data: Data(tuned.map { $0.name + "\n" }.joined().utf8))

    // Evaluation: the official files, and the scores the official script prints for them.
    context.note(
      "answering \(dataset.test.map(\.instances.count).reduce(0, +)) test instances of \(dataset.test.count) tasks")
    let answers = try data.answer(model, tasks: dataset.test, encoding: config.evaluation.encoding)
    let references = SNIData.references(dataset.test)
    _ = try context.writeArtifact(
      kind: "sni-predictions", name: "predictions.jsonl",
      data: Data(answers.map { sniPredictionLine(id: $0.instance.id, prediction: $0.prediction) + "\n" }.joined().utf8))
    _ = try context.writeArtifact(
      kind: "sni-references", name: "references.jsonl", data: Data(references.map { $0.jsonLine + "\n" }.joined().utf8))
    let predictions = SNIPredictions(answers.map { ($0.instance.id, $0.prediction) })
    let scores = SNIScores(references: references, predictions: predictions)
    let step = f.steps
    try logScores(scores, prefix: InstructionMetricName.sni, step: step, context: context)
    _ = try context.writeArtifact(kind: "sni-scores", name: "scores.json", data: Data((scores.json + "\n").utf8))
    for (name, guesses) in SNIData.baselines(dataset.test) {
      let baseline = SNIScores(references: references, predictions: guesses)
      for (metric, value) in baseline.overall {
        try context.log(InstructionMetricName.sniBaseline(name, metric), step: step, value: value)
      }
    }
    if let sample = answers.first {
      let text =
        "task: \(sample.task.name)\ninput: \(sample.instance.input)\nprediction: \(sample.prediction)\n"
        + "references: \(sample.instance.outputs.joined(separator: " | "))\n"
      _ = try context.writeArtifact(kind: "sample", name: "sample-sni.txt", data: Data(text.utf8))
    }
    context.progress(step: done + step, of: done + step, loss: lastLoss)
    let tokens: Int = step * f.batch * shape.context
    let flops: Double = shape.flopsPerToken6N * Double(tokens)
    return RunSummary(
      N: Int64(shape.nonEmbeddingParameters), NTotal: Int64(shape.totalParameters), D: Int64(tokens), C: flops,
      finalTrainLoss: lastLoss, finalValLoss: nil)
  }

  /// Logs the official scores: `sni.exact_match`, `sni.rougeL`, `sni.answers`, and per category
  /// and task `sni.category.<category>.exact_match`, `sni.task.<task>.rougeL`, ….
  static func logScores(_ scores: SNIScores, prefix: MetricName, step: Int, context: RunContext) throws {
    try context.log(InstructionMetricName.answers(prefix), step: step, value: Double(scores.instances))
    for (name, value) in scores.overall { try context.log(prefix.appending(name), step: step, value: value) }
    for (group, kind) in [(scores.perCategory, "category"), (scores.perTask, "task")] {
      for (name, value) in group {
        // `exact_match_for_x` → `sni.category.x.exact_match`.
        let metric = name.hasPrefix("exact_match_for_") ? "exact_match" : "rougeL"
        let key = String(name.dropFirst(metric.count + 5))
        try context.log(InstructionMetricName.group(prefix, kind, key, metric), step: step, value: value)
      }
    }
  }
}
