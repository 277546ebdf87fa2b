import Foundation
import WorkbenchErrors
import WorkbenchNN
import WorkbenchTensor

/// The training hyper-parameters of one run.
public struct TrainingConfig: Sendable, Equatable {
  public var batch: Int
  public var steps: Int
  public var optimizer: AdamW
  /// Validation loss every this many steps (and always after the last); 0: only after the last.
  public var evalEvery: Int
  /// Fixed validation windows, drawn once with `validationSeed` (every seed is scored on the same).
  public var evalWindows: Int
  public var validationSeed: Int
  /// Mean training loss logged every this many steps (the only host read-back in the loop).
  public var logEvery: Int
  /// A checkpoint every this many steps (and after the last); 0: only after the last.
  public var checkpointEvery: Int
  /// Seeds the batch order.
  public var seed: Int

  public init(
    batch: Int, steps: Int, optimizer: AdamW, evalEvery: Int = 0, evalWindows: Int = 32, validationSeed: Int = 0,
    logEvery: Int = 10, checkpointEvery: Int = 0, seed: Int = 0
  ) {
    self.batch = batch
    self.steps = steps
    self.optimizer = optimizer
    self.evalEvery = evalEvery
    self.evalWindows = evalWindows
    self.validationSeed = validationSeed
    self.logEvery = logEvery
    self.checkpointEvery = checkpointEvery
    self.seed = seed
  }
}

/// What a trainer reports while it runs.
public enum TrainingEvent: Sendable {
  /// The mean training loss of the steps since the previous report, after `step` steps.
  case trainLoss(step: Int, loss: Double, tokens: Int)
  case validationLoss(step: Int, loss: Double, tokens: Int)
  case progress(step: Int, steps: Int, loss: Double?, tokensPerSecond: Double)
  case checkpoint(step: Int, url: URL)
}

/// A loss that became NaN or infinite: the run stops and is marked diverged.
public struct TrainingDiverged: WorkbenchError {
  public enum Code: String, ErrorCodes { case diverged }
  public var code: Code { .diverged }
  public let step: Int
  public let loss: Double
  public var description: String { "diverged: the training loss became \(loss) by step \(step)" }
}

/// How a run ended.
public struct TrainingResult: Sendable {
  public var steps: Int
  public var tokens: Int
  public var finalTrainLoss: Double
  public var finalValidationLoss: Double
  /// Training-step throughput, evaluations excluded.
  public var tokensPerSecond: Double
}

/// One training step's rows: `batch × context` token ids and their next-token targets (a target
/// of −1 carries no loss), and how many targets the loss is averaged over (nil: every position).
public struct TrainingBatch: Sendable {
  public var tokens: [Int32]
  public var targets: [Int32]
  public var normalizer: Int?

  public init(tokens: [Int32], targets: [Int32], normalizer: Int? = nil) {
    self.tokens = tokens
    self.targets = targets
    self.normalizer = normalizer
  }
}

/// Where a trainer's rows come from: windows of a token stream (`WindowBatches`), or rows an
/// experiment builds itself (instruction tuning packs prompts and answers, loss on answers only).
public protocol BatchSource {
  /// The next `batch` rows of `context` tokens.
  mutating func next(batch: Int, context: Int) -> TrainingBatch
  /// What a checkpoint stores so that a resumed run draws the batches it would have drawn.
  var rawState: UInt64 { get }
}

/// Windows drawn uniformly from the training part of a token stream.
public struct WindowBatches: BatchSource {
  public let data: TokenData
  public private(set) var sampler: BatchSampler

  public init(data: TokenData, sampler: BatchSampler) {
    self.data = data
    self.sampler = sampler
  }

  public mutating func next(batch: Int, context: Int) -> TrainingBatch {
    let (x, y) = data.windows(sampler.nextOffsets(batch: batch, data: data))
    return TrainingBatch(tokens: x, targets: y)
  }

  public var rawState: UInt64 { sampler.generator.rawState }
}

/// Trains a GPT on a token budget: batches from a source (random training windows by default),
/// AdamW with clipping and a schedule, validation on fixed windows, NaN/inf detection, and
/// checkpoints that resume bit-for-bit.
public final class Trainer {
  public let model: GPT
  /// The token stream whose validation windows are scored; nil for a trainer fed by another
  /// source, which reports no validation loss.
  public let data: TokenData?
  public let config: TrainingConfig
  public private(set) var step = 0
  public private(set) var tokens = 0
  private var batches: any BatchSource
  private let validation: [Int]
  /// The training losses since the last logged mean, on the device, and how many steps they are.
  private var lossSum: Tensor?
  private var stepsInSum = 0
  private var resumedLossSum: Float = 0

  /// - Parameter resume: a checkpoint to continue from (parameters, moments, step, batch order).
  public init(model: GPT, data: TokenData, config: TrainingConfig, resume: URL? = nil) throws {
    precondition(data.context == model.config.context, "data windows (\(data.context)) differ from the model's context")
    self.model = model
    self.data = data
    self.config = config
    batches = WindowBatches(data: data, sampler: BatchSampler(seed: config.seed))
    validation = data.validationOffsets(count: config.evalWindows, seed: config.validationSeed).map {
      $0 + data.trainCount
    }
    if let resume {
      let checkpoint = try Checkpoint.read(from: resume, into: model)
      step = checkpoint.step
      tokens = checkpoint.tokens
      batches = WindowBatches(data: data, sampler: BatchSampler(rawState: checkpoint.samplerState))
      resumedLossSum = checkpoint.windowLossSum ?? 0
      stepsInSum = checkpoint.windowSteps ?? 0
    }
  }

  /// A trainer of `model` on the rows of `batches`, from the model's current weights (no
  /// validation windows: the caller validates in `run`'s observer if it needs to).
  public init(model: GPT, batches: any BatchSource, config: TrainingConfig) {
    self.model = model
    self.data = nil
    self.config = config
    self.batches = batches
    validation = []
  }

  var backend: any Backend { model.arena.values.backend }

  /// Mean loss (nats per token) over the fixed validation windows, without recording a tape.
  /// - Throws: the backend's device failure, if one happened.
  public func validationLoss() throws -> Double { try meanLoss(over: validation) }

  /// Mean loss over the whole validation part: windows at offsets 0, ctx, 2·ctx, …, so every
  /// validation byte after the first is predicted once (as the reference's `--eval_full`).
  public func fullValidationLoss() throws -> Double {
    guard let data else { return .nan }
    return try meanLoss(
      over: Array(stride(from: data.trainCount, to: data.bytes.count - data.context, by: data.context)))
  }

  /// Mean loss of the windows at `offsets` (absolute), in batches, without recording a tape.
  func meanLoss(over offsets: [Int]) throws -> Double {
    guard let data else { return .nan }
    return try Tape.withoutRecording {
      var total = 0.0
      for start in stride(from: 0, to: offsets.count, by: config.batch) {
        let chunk = Array(offsets[start..<min(start + config.batch, offsets.count)])
        let (x, y) = data.windows(chunk)
        let tokens = Tensor(ids: x, shape: [chunk.count, data.context], on: backend)
        let targets = Tensor(ids: y, shape: [chunk.count, data.context], on: backend)
        total += Double(model.loss(tokens, targets: targets).item()) * Double(chunk.count)
      }
      try backend.synchronize()
      return total / Double(max(1, offsets.count))
    }
  }

  /// Runs the remaining steps. `observe` may throw (e.g. on cancellation) to stop between steps.
  /// - Throws: `TrainingDiverged` when the loss stops being finite.
  public func run(checkpoint url: URL? = nil, observe: (TrainingEvent) throws -> Void) throws -> TrainingResult {
    let context = model.config.context
    let tokensPerStep = config.batch * context
    let lossSum = Tensor.zeros([], on: backend)
    if resumedLossSum != 0 { backend.execute(.fill(lossSum.view, resumedLossSum)) }
    resumedLossSum = 0
    self.lossSum = lossSum
    var lastTrain = Double.nan
    var lastValidation = Double.nan
    var trainingSeconds = 0.0
    var trainedTokens = 0
    var recentRate = 0.0
    if step >= config.steps && data != nil {
      // Resumed from a checkpoint taken after the last step: only the final evaluation is left.
      lastValidation = try validationLoss()
    }
    while step < config.steps {
      try observe(
        .progress(step: step, steps: config.steps, loss: lastTrain.isNaN ? nil : lastTrain, tokensPerSecond: recentRate)
      )
      let rows = batches.next(batch: config.batch, context: context)
      let started = Date()
      let tokens = Tensor(ids: rows.tokens, shape: [config.batch, context], on: backend)
      let targets = Tensor(ids: rows.targets, shape: [config.batch, context], on: backend)
      let tape = Tape()
      let loss = tape.record { model.loss(tokens, targets: targets, normalizer: rows.normalizer) }
      model.arena.zeroGradients()
      tape.backward(loss)
      config.optimizer.step(model.arena, step: step, totalSteps: config.steps)
      backend.execute(.axpy(y: lossSum.view, x: loss.view, alpha: 1))
      step += 1
      self.tokens += tokensPerStep
      stepsInSum += 1
      let last = step == config.steps
      if step % max(1, config.logEvery) == 0 || last {
        let mean = Double(lossSum.item()) / Double(stepsInSum)
        try backend.synchronize()  // a device failure is an error, not a diverged loss
        guard mean.isFinite else { throw TrainingDiverged(step: step, loss: mean) }
        lastTrain = mean
        backend.execute(.fill(lossSum.view, 0))
        stepsInSum = 0
        try observe(.trainLoss(step: step, loss: mean, tokens: self.tokens))
      }
      let seconds = Date().timeIntervalSince(started)
      trainingSeconds += seconds
      trainedTokens += tokensPerStep
      recentRate = Double(tokensPerStep) / max(seconds, 1e-9)
      if data != nil, (config.evalEvery > 0 && step % config.evalEvery == 0) || last {
        lastValidation = try validationLoss()
        guard lastValidation.isFinite else { throw TrainingDiverged(step: step, loss: lastValidation) }
        try observe(.validationLoss(step: step, loss: lastValidation, tokens: self.tokens))
      }
      if let url, (config.checkpointEvery > 0 && step % config.checkpointEvery == 0) || last {
        try saveCheckpoint(to: url)
        try observe(.checkpoint(step: step, url: url))
      }
    }
    try observe(.progress(step: step, steps: config.steps, loss: lastTrain, tokensPerSecond: recentRate))
    return TrainingResult(
      steps: step, tokens: tokens, finalTrainLoss: lastTrain, finalValidationLoss: lastValidation,
      tokensPerSecond: trainingSeconds > 0 ? Double(trainedTokens) / trainingSeconds : 0)
  }

  /// Writes the state needed to continue this run exactly.
  public func saveCheckpoint(to url: URL) throws {
    // A device failure since the last read (out of memory) leaves the weights unreadable: never
    // write them over the last good checkpoint.
    try model.arena.values.backend.synchronize()
    try Checkpoint(
      model: model.config, step: step, adamStep: model.arena.step, samplerState: batches.rawState,
      tokens: tokens, arenaCount: model.arena.count,
      windowLossSum: stepsInSum > 0 ? lossSum?.item() : nil, windowSteps: stepsInSum > 0 ? stepsInSum : nil
    ).write(model, to: url)
  }
}
