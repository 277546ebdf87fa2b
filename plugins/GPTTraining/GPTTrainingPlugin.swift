import Foundation
import Synchronization
import WorkbenchKit
import WorkbenchLM
import WorkbenchNN
import WorkbenchTensor

/// Trains GPT models on a text corpus, one run per grid point (model shape, token budget, learning
/// rate, seed, …): learning curves with tokens and FLOPs, validation in nats/token and bits/byte,
/// checkpoints that resume an interrupted run exactly, and the model kept for `workbench generate`.
public struct GPTTrainingPlugin: ExperimentPlugin {
  public typealias Config = GPTTrainingConfig

  public static let id = "gpt-train"
  public static let version = "1"
  public static let summary = "Trains GPT models on a corpus (one run per grid point); checkpoints for generate"

  public init() {}

  public func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    try Self.validate(config)
    return [RunSpec(config: config, seed: seed)]
  }

  /// Refuses configs that cannot train, naming the key.
  public static func validate(_ config: Config) throws {
    if let problem = config.model.problem { throw ConfigIssue(["model"], problem) }
    let t = config.training
    guard (1...(1 << 20)).contains(t.batch) else { throw ConfigIssue(["training", "batch"], "must be 1…1048576") }
    if let tokens = t.tokens, !(1...(1 << 50)).contains(tokens) {
      throw ConfigIssue(["training", "tokens"], "must be 1…2^50")
    }
    if let steps = t.steps, !(1...(1 << 40)).contains(steps) {
      throw ConfigIssue(["training", "steps"], "must be 1…2^40")
    }
    guard (t.tokens == nil) != (t.steps == nil) else {
      throw ConfigIssue(["training"], "give exactly one of training.tokens and training.steps")
    }
    guard Self.steps(config) >= 1 else { throw ConfigIssue(["training"], "the budget must allow at least one step") }
    if case .fixed(let lr) = t.lr, !(lr > 0) { throw ConfigIssue(["training", "lr"], "must be positive") }
    guard t.warmupSteps >= 0, t.warmupSteps < Self.steps(config) || t.warmupSteps == 0 else {
      throw ConfigIssue(["training", "warmup_steps"], "must be below the number of steps")
    }
    guard t.logEvery >= 1 else { throw ConfigIssue(["training", "log_every"], "must be at least 1") }
    guard config.evaluation.windows >= 1 else { throw ConfigIssue(["evaluation", "windows"], "must be at least 1") }
    if config.data.synthetic == nil {
      for spec in config.data.files where !spec.contains(where: { "*?[".contains($0) }) {
        let path = NSString(string: spec).expandingTildeInPath
        guard FileManager.default.fileExists(atPath: path) else {
          let hint = path == TextCorpus.gcidePath ? " (scripts/setup installs it: apt-get install dict-gcide)" : ""
          throw ConfigIssue(["data", "corpus"], "no such file: \(spec)\(hint)")
        }
      }
    }
    if let synthetic = config.data.synthetic {
      guard (2...256).contains(synthetic.alphabet) else {
        throw ConfigIssue(["data", "synthetic", "alphabet"], "must be 2…256")
      }
      guard synthetic.concentration > 0 else {
        throw ConfigIssue(["data", "synthetic", "concentration"], "must be positive")
      }
    }
  }

  public static func steps(_ config: Config) -> Int {
    if let steps = config.training.steps { return steps }
    let perStep = config.training.batch * config.model.context
    return ((config.training.tokens ?? 0) + perStep - 1) / perStep
  }

  public func execute(_ run: RunSpec<Config>, context: RunContext) throws -> RunSummary {
    try Self.train(run.config, seed: run.seed, context: context)
  }

  /// Trains one model as `config` says, reporting through `context` (also what the scaling-sweep
  /// plugin runs for each grid point).
  public static func train(_ config: Config, seed: Int, context: RunContext) throws -> RunSummary {
    let model = config.model
    let data = try TokenData(corpus: corpus(config.data), context: model.context, batch: config.training.batch)
    let steps = steps(config)
    let N = model.nonEmbeddingParameters
    let t = config.training
    let peak: Double
    switch t.lr {
    case .fixed(let value): peak = value
    case .kaplan: peak = LearningRateSchedule.kaplanPeak(nonEmbeddingParameters: N)
    }
    let schedule: LearningRateSchedule =
      t.schedule == .cosine
      ? .cosine(peak: peak, warmup: t.warmupSteps, minRatio: t.minLRRatio)
      : .constant(peak: peak, warmup: t.warmupSteps)
    let training = TrainingConfig(
      batch: t.batch, steps: steps,
      optimizer: AdamW(
        schedule: schedule, weightDecay: Float(t.weightDecay), clipNorm: t.gradClip > 0 ? Float(t.gradClip) : nil),
      evalEvery: config.evaluation.every, evalWindows: config.evaluation.windows,
      validationSeed: config.evaluation.seed,
      logEvery: t.logEvery, checkpointEvery: config.checkpointEvery, seed: seed)
    let backend = context.backend
    let gpt = GPT(model, on: backend, seed: seed)
    let checkpoint = context.checkpointURL
    let resuming = FileManager.default.fileExists(atPath: checkpoint.path)
    // A damaged checkpoint fails the run with the reason and is set aside, so that running the
    // experiment again starts the run over.
    let trainer = try Checkpoint.settingAsideIfDamaged(
      checkpoint, advice: "not resumed; run the experiment again to start this run over from its logged config"
    ) { try Trainer(model: gpt, data: data, config: training, resume: resuming ? checkpoint : nil) }
    if resuming {
      try context.discardMetrics(after: trainer.step)
    } else {
      for (name, value) in [
        (MetricName.kaplanParameters, Double(model.kaplanParameters)), (.flopsPerToken6N, model.flopsPerToken6N),
        (.flopsPerTokenExact, model.flopsPerTokenExact), (.peakLearningRate, peak),
      ] {
        try context.log(name, step: 0, value: value)
      }
    }
    let flopsPerToken = model.flopsPerToken6N
    var lastTrain: Double?
    var lastValidation: Double?
    let result: TrainingResult
    do {
      result = try trainer.run(checkpoint: checkpoint) { event in
        switch event {
        case .trainLoss(let step, let loss, let tokens):
          lastTrain = loss
          try context.log(.trainLoss, step: step, value: loss, tokens: tokens, flops: flopsPerToken * Double(tokens))
        case .validationLoss(let step, let loss, let tokens):
          lastValidation = loss
          let flops = flopsPerToken * Double(tokens)
          try context.log(.valLoss, step: step, value: loss, tokens: tokens, flops: flops)
          try context.log(.valBitsPerByte, step: step, value: loss / log(2), tokens: tokens, flops: flops)
        case .progress(let step, let steps, let loss, let rate):
          try context.checkCancellation()
          context.progress(step: step, of: steps, loss: loss, tokensPerSecond: rate > 0 ? rate : nil)
        case .checkpoint:
          break
        }
      }
    } catch let cancelled as RunCancelled {
      try? trainer.saveCheckpoint(to: checkpoint)
      throw cancelled
    } catch let diverged as TrainingDiverged {
      throw RunDiverged(
        diverged.description,
        summary: RunSummary(
          N: Int64(N), NTotal: Int64(model.totalParameters), D: Int64(trainer.tokens),
          C: flopsPerToken * Double(trainer.tokens), finalTrainLoss: lastTrain, finalValLoss: lastValidation))
    }
    try context.log(.tokensPerSecond, step: result.steps, value: result.tokensPerSecond, tokens: result.tokens)
    if config.evaluation.full {
      let full = try trainer.fullValidationLoss()
      try context.log(.valLossFull, step: result.steps, value: full, tokens: result.tokens)
      try context.log(.valBitsPerByteFull, step: result.steps, value: full / log(2), tokens: result.tokens)
    }
    try context.recordArtifact(kind: "checkpoint", url: checkpoint)
    return RunSummary(
      N: Int64(N), NTotal: Int64(model.totalParameters), D: Int64(result.tokens),
      C: flopsPerToken * Double(result.tokens), finalTrainLoss: result.finalTrainLoss,
      finalValLoss: result.finalValidationLoss)
  }

  public func analyze(_ runs: [FinishedRun<Config>], context: AnalysisContext) throws {
    let rows = runs.map { run -> String in
      let m = run.config.model
      let loss = run.summary.finalValLoss.map { String(format: "%.4f nats (%.4f bits/byte)", $0, $0 / log(2)) } ?? "-"
      return "  \(run.key.prefix(8))  L\(m.layers) d\(m.width) h\(m.heads) ctx\(m.context)  "
        + "N \(run.summary.N ?? 0)  D \(run.summary.D ?? 0)  val \(loss)  \(run.status.rawValue)"
    }
    context.print("\(context.experimentName): \(runs.count) run(s)")
    rows.forEach(context.print)
    context.print("sample from one: workbench generate --experiment \(context.experimentName) --prompt \"…\"")
  }

  /// Corpora already read in this process, by description (a sweep reads GCIDE once).
  private static let cache = Mutex<[String: TextCorpus]>([:])

  static func corpus(_ settings: DataSettings) throws -> TextCorpus {
    let key =
      settings.synthetic.map { "markov:\($0.alphabet):\($0.concentration):\($0.bytes):\($0.seed)" }
      ?? settings.files.joined(separator: "\n")
    if let cached = cache.withLock({ $0[key] }) { return cached }
    let corpus: TextCorpus
    if let synthetic = settings.synthetic {
      let chain = MarkovCorpus(
        alphabet: synthetic.alphabet, concentration: synthetic.concentration, seed: synthetic.seed)
      corpus = TextCorpus(bytes: chain.generate(count: synthetic.bytes, seed: synthetic.seed), name: "markov")
    } else {
      corpus = try TextCorpus(specs: settings.files)
    }
    cache.withLock { $0[key] = corpus }
    return corpus
  }
}
