import Foundation
import Synchronization
import WorkbenchKit
import WorkbenchLM
import WorkbenchRandom
import WorkbenchTensor

/// How an instruction-tuned model is made, shared by the plugins that need one: the
/// instruction-tuning plugin's runs, and prompt sensitivity, which probes the model of the
/// instruction-tuning run with the same settings (found in the log by that run's key) or trains
/// it the same way when the log has none.
public enum InstructionTuning {
  /// The instruction-tuning plugin's id and version: with a config and seed they make the key of
  /// the run whose model is this recipe's.
  public static let pluginID = "instruction-tuning"
  public static let version = "4"

  /// Suites and their data, built once per process.
  private static let cache = Mutex<[Int: InstructionData]>([:])

  public static func suite(_ seed: Int) -> TaskSuite { data(seed).suite }

  public static func data(_ seed: Int) -> InstructionData {
    if let data = cache.withLock({ $0[seed] }) { return data }
    let data = InstructionData(suite: TaskSuite(seed: UInt64(seed)))
    cache.withLock { $0[seed] = data }
    return data
  }

  public static func gptConfig(_ config: InstructionTuningConfig, _ data: InstructionData) -> GPTConfig {
    GPTConfig(
      layers: config.model.layers, width: config.model.width, heads: config.model.heads, context: data.context,
      vocabulary: data.tokenizer.vocabulary)
  }

  /// The run's model: the base (another run's model, or pretrained once per shape and pretraining seed and
  /// shared by every I), tuned on I seen instructions and written to the run's checkpoint. Other plugins
  /// call it to make an instruction-tuned model they need.
  public static func train(_ config: InstructionTuningConfig, seed: Int, context: RunContext) throws -> (
    model: GPT, lastLoss: Double?, tuned: [InstructionTask]
  ) {
    let data = Self.data(config.suiteSeed)
    let shape = Self.gptConfig(config, data)
    // The base model comes from the pretraining seed, not the run's: runs of several seeds share
    // one base and differ in how they are tuned (the order and draw of tuning examples).
    let pretrainingSeed = config.pretraining.seed
    let model = GPT(shape, on: context.backend, seed: pretrainingSeed)
    let trainer = InstructionTrainer(model: model, data: data)
    let base = try baseCheckpoint(config, seed: pretrainingSeed, context: context)
    // Runs in parallel (several processes, Slurm array tasks) pretrain a shared base once: the
    // first holds the lock while it trains, the others wait for its file.
    let pretraining = config.pretraining.steps + config.finetuning.steps
    let pretrainedHere = try FileLock.withLock(
      at: base.appendingPathExtension("lock"), check: { try context.checkCancellation() }
    ) {
      guard !FileManager.default.fileExists(atPath: base.path) else { return false }
      try trainer.pretrain(
        steps: config.pretraining.steps, batch: config.pretraining.batch, learningRate: config.pretraining.lr,
        seed: UInt64(pretrainingSeed)
      ) { step, loss in
        try context.checkCancellation()
        try context.log(InstructionMetricName.pretrainLoss, step: step, value: loss)
        context.progress(step: step, of: pretraining, loss: loss)
      }
      try Checkpoint.writeFinished(
        model, steps: config.pretraining.steps, batch: config.pretraining.batch, to: base)
      return true
    }
    if !pretrainedHere { try readBase(base, into: model) }
    let total = pretrainedHere ? pretraining : config.finetuning.steps
    try context.recordArtifact(kind: "base-checkpoint", url: base)
    let tuned = data.suite.seenSubset(config.instructions, seed: UInt64(config.subsetSeed))
    var lastLoss: Double?
    let done = total - config.finetuning.steps
    // Checkpoint selection (He et al. 2024: generalisation to held-out tasks can be transient):
    // exact match on validation instructions, disjoint from the test ones, keeps the best weights.
    let e = config.evaluation
    let validation = data.suite.sample(.validation, perFamily: e.validationPerFamily)
    let validateEvery =
      validation.isEmpty || tuned.isEmpty
      ? 0 : (e.validateEvery > 0 ? e.validateEvery : max(25, config.finetuning.steps / 4))
    var best: (score: Double, step: Int, weights: [Float])?
    let evaluator = InstructionEvaluator(data: data)
    try trainer.finetune(
      tasks: tuned, encodings: config.finetuning.encodings, steps: config.finetuning.steps,
      batch: config.finetuning.batch, learningRate: config.finetuning.lr, warmup: config.finetuning.warmupSteps,
      seed: UInt64(seed) &+ UInt64(config.subsetSeed) &* 1_000_003, testInstances: config.evaluation.instances,
      instancesPerTask: config.finetuning.instancesPerTask, formats: config.finetuning.augmentationFormats,
      validateEvery: validateEvery,
      validate: { step in
        let predictions = try evaluator.evaluate(
          model, tasks: validation, instances: 1, encoding: e.encoding, maxTokens: e.maxTokens)
        let score = 100 * predictions.map(\.exactMatch).reduce(0, +) / Double(predictions.count)
        try context.log(InstructionMetricName.validation, step: step, value: score)
        if best == nil || score > best!.score { best = (score, step, model.arena.values.toArray()) }
      }
    ) { step, loss in
      try context.checkCancellation()
      lastLoss = loss
      try context.log(InstructionMetricName.trainLoss, step: step, value: loss)
      context.progress(step: done + step, of: total, loss: loss)
    }
    if let best {
      model.arena.values.assign(best.weights)
      try context.log(InstructionMetricName.selectedStep, step: config.finetuning.steps, value: Double(best.step))
    }
    try Checkpoint.writeFinished(
      model, steps: config.finetuning.steps, batch: config.finetuning.batch, to: context.checkpointURL)
    try context.recordArtifact(kind: "checkpoint", url: context.checkpointURL)
    return (model, lastLoss, tuned)
  }

  /// Loads a shared base model; a damaged one is set aside, so that the next run pretrains it again.
  static func readBase(_ base: URL, into model: GPT) throws {
    _ = try Checkpoint.settingAsideIfDamaged(base, advice: "run the experiment again to pretrain the base anew") {
      try Checkpoint.read(from: base, into: model)
    }
  }

  /// `runs/instruction-bases/<hash>.bin`: the base model of this shape, pretraining and seed,
  /// shared by every experiment of the log's folder (or the model of `pretraining.from_run`).
  private static func baseCheckpoint(_ config: InstructionTuningConfig, seed: Int, context: RunContext) throws -> URL {
    if let reference = config.pretraining.fromRun {
      let url = try context.artifact(ofRun: reference)
      let header = try Checkpoint.read(from: url)
      guard header.model == Self.gptConfig(config, Self.data(config.suiteSeed)) else {
        throw ReusedRunError(
          .otherModel,
          "pretraining.from_run: run \(reference)'s model (\(header.model.layers) layers, width "
            + "\(header.model.width), vocabulary \(header.model.vocabulary)) is not this run's model shape")
      }
      return url
    }
    let p = config.pretraining
    let description =
      "L\(config.model.layers) d\(config.model.width) h\(config.model.heads) suite\(config.suiteSeed) "
      + "steps\(p.steps) batch\(p.batch) lr\(p.lr) seed\(seed) v\(version)"
    let hash = SeededGenerator.hash(description)
    let folder = context.directory.deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("instruction-bases")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(String(format: "base-%016llx.bin", hash))
  }
}
