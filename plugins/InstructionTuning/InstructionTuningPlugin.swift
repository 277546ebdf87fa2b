import Foundation
import Synchronization
import WorkbenchKit
import WorkbenchLM
import WorkbenchRunLog
import WorkbenchTensor

/// Instruction tuning on workbench's task suite, as Super-NaturalInstructions / Tk-Instruct did
/// at scale: a base model pretrained on the suite's text (no answers) is tuned on K seen tasks in
/// Tk-Instruct's prompt layouts, then answers — greedily — test instances of its own tasks, of
/// unseen bindings, unseen families and unseen categories, scored by ROUGE-L and exact match
/// beside SNI's heuristic baselines. One run per (model shape, K, task-subset seed); the analysis
/// fits unseen-task score against log₂ K.
public struct InstructionTuningPlugin: ExperimentPlugin {
  public typealias Config = InstructionTuningConfig

  public static let id = "instruction-tuning"
  public static let version = "3"
  public static let summary = "Instruction tuning on K tasks; unseen-task generalisation vs K and model size"
  public static let configKeys = [
    ConfigKey("model", "{n_layer, d_model, n_head}", sweepable: true, "model shape; a list sweeps over shapes"),
    ConfigKey("tasks", "int", sweepable: true, "K: seen tasks to tune on (0: the base model, untuned)"),
    ConfigKey("subset_seed", "int", default: "0", sweepable: true, "which K tasks (nested for one seed)"),
    ConfigKey("suite_seed", "int", default: "0", "the task suite's seed (split, demonstrations)"),
    ConfigKey("pretraining.steps", "int", default: "300", "base-model language-modelling steps"),
    ConfigKey("pretraining.batch", "int", default: "32", "rows per pretraining step"),
    ConfigKey("pretraining.lr", "float", default: "3e-3", "pretraining peak learning rate (cosine)"),
    ConfigKey(
      "pretraining.from_run", "run key", "a finished run (key, prefix or id) whose model is the base; no pretraining"),
    ConfigKey("finetuning.steps", "int", default: "1000", "tuning steps, the same for every K"),
    ConfigKey("finetuning.batch", "int", default: "32", "examples per tuning step"),
    ConfigKey("finetuning.lr", "float", default: "2e-3", "tuning peak learning rate (cosine)"),
    ConfigKey("finetuning.warmup_steps", "int", default: "50", "linear warm-up steps"),
    ConfigKey(
      "finetuning.instances_per_task", "int", default: "0", sweepable: true,
      "distinct training instances per task (0: fresh every draw)"),
    ConfigKey("finetuning.encodings", "[def|pos|def+pos|def+pos+neg|def+pos+expl]", default: "all five", "the mixture"),
    ConfigKey("evaluation.instances", "int", default: "10", "test instances per task"),
    ConfigKey("evaluation.encoding", "def|pos|def+pos|…", default: "def+pos", "the evaluation prompt layout"),
    ConfigKey("evaluation.max_tokens", "int", default: "12", "longest answer, in words"),
  ]

  public init() {}

  public func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    let suite = Self.suite(config.suiteSeed)
    let seen = suite.tasks(in: .seen).count
    guard config.tasks >= 0, config.tasks <= seen else {
      throw ConfigIssue(["tasks"], "must be 0…\(seen) (the suite has \(seen) seen tasks)")
    }
    let m = config.model
    guard m.layers >= 1, m.width >= 8, m.heads >= 1, m.width % m.heads == 0 else {
      throw ConfigIssue(["model"], "needs n_layer ≥ 1, d_model ≥ 8 and n_head dividing d_model")
    }
    for (key, value) in [
      ("pretraining.steps", config.pretraining.steps), ("pretraining.batch", config.pretraining.batch),
      ("finetuning.batch", config.finetuning.batch), ("evaluation.instances", config.evaluation.instances),
      ("evaluation.max_tokens", config.evaluation.maxTokens),
    ] where value < 1 {
      throw ConfigIssue(ConfigPath(key.split(separator: ".").map(String.init)), "must be at least 1")
    }
    guard config.finetuning.steps >= 0 else { throw ConfigIssue(["finetuning", "steps"], "must be 0 or more") }
    guard !config.finetuning.encodings.isEmpty else {
      throw ConfigIssue(["finetuning", "encodings"], "name at least one encoding")
    }
    return [RunSpec(config: config, seed: seed, label: "K=\(config.tasks) subset \(config.subsetSeed)")]
  }

  /// Suites and their data, built once per process.
  private static let cache = Mutex<[Int: InstructionData]>([:])

  static func suite(_ seed: Int) -> TaskSuite { data(seed).suite }

  public static func data(_ seed: Int) -> InstructionData {
    if let data = cache.withLock({ $0[seed] }) { return data }
    let data = InstructionData(suite: TaskSuite(seed: UInt64(seed)))
    cache.withLock { $0[seed] = data }
    return data
  }

  public static func gptConfig(_ config: Config, _ data: InstructionData) -> GPTConfig {
    GPTConfig(
      layers: config.model.layers, width: config.model.width, heads: config.model.heads, context: data.context,
      vocabulary: data.tokenizer.vocabulary)
  }

  public func execute(_ run: RunSpec<Config>, context: RunContext) throws -> RunSummary {
    let config = run.config
    let data = Self.data(config.suiteSeed)
    let suite = data.suite
    let shape = Self.gptConfig(config, data)
    let (model, lastLoss, tuned) = try Self.train(config, seed: run.seed, context: context)

    // Evaluation: the tuned tasks (instance level) and every unseen tier, with the baselines.
    let evaluator = InstructionEvaluator(data: data)
    let e = config.evaluation
    let step = config.finetuning.steps
    var tiers: [(String, [InstructionTask])] = [("seen", tuned)]
    for tier in [TaskSuite.Tier.unseenBinding, .unseenFamily, .unseenCategory] {
      tiers.append((tier.rawValue, suite.tasks(in: tier)))
    }
    var report: [String] = []
    for (tier, tasks) in tiers where !tasks.isEmpty {
      let predictions = try evaluator.evaluate(
        model, tasks: tasks, instances: e.instances, encoding: e.encoding, maxTokens: e.maxTokens)
      try Self.logScores(predictions, prefix: "score.\(tier)", step: step, context: context, detail: true)
      for (name, guesses) in evaluator.baselines(tasks: tasks, instances: e.instances) {
        try Self.logScores(guesses, prefix: "baseline.\(name).\(tier)", step: step, context: context, detail: false)
      }
      let mean = predictions.map(\.score).reduce(0, +) / Double(predictions.count)
      report.append(String(format: "%@ %.1f", tier, 100 * mean))
      if let example = predictions.first(where: { $0.score < 1 }) ?? predictions.first {
        try context.writeSample(tier: tier, example)
      }
    }
    context.progress(step: config.pretraining.steps + step, of: config.pretraining.steps + step, loss: lastLoss)
    let N = shape.nonEmbeddingParameters
    return RunSummary(
      N: Int64(N), NTotal: Int64(shape.totalParameters), D: Int64(step * config.finetuning.batch * data.context),
      C: shape.flopsPerToken6N * Double(step * config.finetuning.batch * data.context), finalTrainLoss: lastLoss,
      finalValLoss: nil)
  }

  /// The run's model: the base (another run's model, or pretrained once per shape and seed and
  /// shared by every K), tuned on K seen tasks and written to the run's checkpoint. Other plugins
  /// call it to make an instruction-tuned model they need.
  public static func train(_ config: Config, seed: Int, context: RunContext) throws -> (
    model: GPT, lastLoss: Double?, tuned: [InstructionTask]
  ) {
    let data = Self.data(config.suiteSeed)
    let shape = Self.gptConfig(config, data)
    let model = GPT(shape, on: context.backend, seed: seed)
    let trainer = InstructionTrainer(model: model, data: data)
    let base = try baseCheckpoint(config, seed: seed, context: context)
    // Runs in parallel (several processes, Slurm array tasks) pretrain a shared base once: the
    // first holds the lock while it trains, the others wait for its file.
    let pretraining = config.pretraining.steps + config.finetuning.steps
    let pretrainedHere = try FileLock.withLock(
      at: base.appendingPathExtension("lock"), check: { try context.checkCancellation() }
    ) {
      guard !FileManager.default.fileExists(atPath: base.path) else { return false }
      try trainer.pretrain(
        steps: config.pretraining.steps, batch: config.pretraining.batch, learningRate: config.pretraining.lr,
        seed: UInt64(seed)
      ) { step, loss in
        try context.checkCancellation()
        try context.log("pretrain_loss", step: step, value: loss)
        context.progress(step: step, of: pretraining, loss: loss)
      }
      try Checkpoint(
        model: shape, step: config.pretraining.steps, adamStep: model.arena.step, samplerState: 0,
        tokens: config.pretraining.steps * config.pretraining.batch * data.context, arenaCount: model.arena.count
      ).write(model, to: base)
      return true
    }
    if !pretrainedHere { _ = try Checkpoint.read(from: base, into: model) }
    let total = pretrainedHere ? pretraining : config.finetuning.steps
    try context.recordArtifact(kind: "base-checkpoint", url: base)
    let tuned = data.suite.seenSubset(config.tasks, seed: UInt64(config.subsetSeed))
    var lastLoss: Double?
    let done = total - config.finetuning.steps
    try trainer.finetune(
      tasks: tuned, encodings: config.finetuning.encodings, steps: config.finetuning.steps,
      batch: config.finetuning.batch, learningRate: config.finetuning.lr, warmup: config.finetuning.warmupSteps,
      seed: UInt64(seed) &+ UInt64(config.subsetSeed) &* 1_000_003, testInstances: config.evaluation.instances,
      instancesPerTask: config.finetuning.instancesPerTask, formats: config.finetuning.augmentationFormats
    ) { step, loss in
      try context.checkCancellation()
      lastLoss = loss
      try context.log("train_loss", step: step, value: loss)
      context.progress(step: done + step, of: total, loss: loss)
    }
    try Checkpoint(
      model: shape, step: config.finetuning.steps, adamStep: model.arena.step, samplerState: 0,
      tokens: config.finetuning.steps * config.finetuning.batch * data.context, arenaCount: model.arena.count
    ).write(model, to: context.checkpointURL)
    try context.recordArtifact(kind: "checkpoint", url: context.checkpointURL)
    return (model, lastLoss, tuned)
  }

  /// `runs/instruction-bases/<hash>.bin`: the base model of this shape, pretraining and seed,
  /// shared by every experiment of the log's folder (or the model of `pretraining.from_run`).
  private static func baseCheckpoint(_ config: Config, seed: Int, context: RunContext) throws -> URL {
    if let reference = config.pretraining.fromRun {
      let url = try context.artifact(ofRun: reference)
      let header = try Checkpoint.read(from: url)
      guard header.model == Self.gptConfig(config, Self.data(config.suiteSeed)) else {
        throw ReusedRunError(
          "pretraining.from_run: run \(reference)'s model (\(header.model.layers) layers, width "
            + "\(header.model.width), vocabulary \(header.model.vocabulary)) is not this run's model shape")
      }
      return url
    }
    let p = config.pretraining
    let description =
      "L\(config.model.layers) d\(config.model.width) h\(config.model.heads) suite\(config.suiteSeed) "
      + "steps\(p.steps) batch\(p.batch) lr\(p.lr) seed\(seed) v\(Self.version)"
    let hash = SeededGenerator.hash(description)
    let folder = context.directory.deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("instruction-bases")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(String(format: "base-%016llx.bin", hash))
  }

  /// Logs the mean exact match, ROUGE-L and task-metric score (×100) of `predictions` under
  /// `prefix`, and with `detail` the same per category and per task.
  static func logScores(
    _ predictions: [InstructionPrediction], prefix: String, step: Int, context: RunContext, detail: Bool
  ) throws {
    func log(_ name: String, _ group: [InstructionPrediction]) throws {
      guard !group.isEmpty else { return }
      let n = Double(group.count)
      try context.log("\(name).exact_match", step: step, value: 100 * group.map(\.exactMatch).reduce(0, +) / n)
      try context.log("\(name).rouge_l", step: step, value: 100 * group.map(\.rougeL).reduce(0, +) / n)
      try context.log("\(name).score", step: step, value: 100 * group.map(\.score).reduce(0, +) / n)
    }
    try log(prefix, predictions)
    guard detail else { return }
    for category in TaskCategory.allCases {
      try log("\(prefix).category.\(category.rawValue)", predictions.filter { $0.task.category == category })
    }
    var byTask: [String: [InstructionPrediction]] = [:]
    for p in predictions { byTask[p.task.name, default: []].append(p) }
    for (task, group) in byTask.sorted(by: { $0.key < $1.key }) { try log("\(prefix).task.\(task)", group) }
  }

  public func analyze(_ runs: [FinishedRun<Config>], context: AnalysisContext) throws {
    try InstructionAnalysis(runs: runs, context: context).run()
  }
}

extension RunContext {
  /// Keeps one answered instance per tier as an artifact, for a look at what the model says.
  func writeSample(tier: String, _ p: InstructionPrediction) throws {
    let text =
      "task: \(p.task.name)\ninput: \(p.input)\nprediction: \(p.prediction)\nreferences: \(p.references.joined(separator: " | "))\n"
    _ = try writeArtifact(kind: "sample", name: "sample-\(tier).txt", data: Data(text.utf8))
  }
}
