import WorkbenchKit
import WorkbenchLM

/// The config of a `gpt-train` experiment: a model (a list sweeps over shapes), data, training
/// and evaluation settings.
public struct GPTTrainingConfig: Codable, Sendable, Equatable {
  public var model: GPTConfig
  public var data: DataSettings
  public var training: TrainingSettings
  public var evaluation: EvaluationSettings
  /// Save a checkpoint every this many steps (0: only at the end and when interrupted).
  public var checkpointEvery: Int

  enum CodingKeys: String, CodingKey {
    case model, data, training, evaluation
    case checkpointEvery = "checkpoint_every"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    model = try c.decode(GPTConfig.self, forKey: .model)
    data = try c.decodeIfPresent(DataSettings.self, forKey: .data) ?? DataSettings()
    training = try c.decode(TrainingSettings.self, forKey: .training)
    evaluation = try c.decodeIfPresent(EvaluationSettings.self, forKey: .evaluation) ?? EvaluationSettings()
    checkpointEvery = try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? 0
  }
}

/// Where the text comes from: files (default GCIDE) or a built-in seeded Markov chain.
public struct DataSettings: Codable, Sendable, Equatable {
  /// Files or globs, plain or gzip/dictzip, concatenated in order.
  public var corpus: [String]?
  public var synthetic: SyntheticSettings?

  public init() {}

  enum CodingKeys: String, CodingKey { case corpus, synthetic }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    if let one = try? c.decodeIfPresent(String.self, forKey: .corpus) {
      corpus = [one]
    } else {
      corpus = try c.decodeIfPresent([String].self, forKey: .corpus)
    }
    synthetic = try c.decodeIfPresent(SyntheticSettings.self, forKey: .synthetic)
  }

  /// The files to read, GCIDE when nothing is named.
  public var files: [String] { corpus ?? [TextCorpus.gcidePath] }
}

/// An order-1 Markov chain text with an exact entropy rate (see `MarkovCorpus`).
public struct SyntheticSettings: Codable, Sendable, Equatable {
  public var alphabet: Int
  public var concentration: Double
  public var bytes: Int
  public var seed: Int

  enum CodingKeys: String, CodingKey { case alphabet, concentration, bytes, seed }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    alphabet = try c.decodeIfPresent(Int.self, forKey: .alphabet) ?? 16
    concentration = try c.decodeIfPresent(Double.self, forKey: .concentration) ?? 0.3
    bytes = try c.decodeIfPresent(Int.self, forKey: .bytes) ?? 4_000_000
    seed = try c.decodeIfPresent(Int.self, forKey: .seed) ?? 0
  }
}

/// A fixed peak learning rate, or Kaplan et al.'s rule from the model size.
public enum LearningRate: Codable, Sendable, Equatable {
  case fixed(Double)
  case kaplan

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let value = try? c.decode(Double.self) {
      self = .fixed(value)
    } else if try c.decode(String.self) == "kaplan" {
      self = .kaplan
    } else {
      throw DecodingError.dataCorruptedError(in: c, debugDescription: "a learning rate is a number or 'kaplan'")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    switch self {
    case .fixed(let value): try c.encode(value)
    case .kaplan: try c.encode("kaplan")
    }
  }
}

public enum ScheduleKind: String, ConfigChoice { case constant, cosine }

public struct TrainingSettings: Codable, Sendable, Equatable {
  public var batch: Int
  /// The token budget; steps = ⌈tokens / (batch·ctx)⌉. Give this or `steps`.
  public var tokens: Int?
  public var steps: Int?
  public var lr: LearningRate
  public var schedule: ScheduleKind
  public var warmupSteps: Int
  public var minLRRatio: Double
  public var weightDecay: Double
  /// Clip the global gradient norm to this; 0 turns clipping off.
  public var gradClip: Double
  public var logEvery: Int

  enum CodingKeys: String, CodingKey {
    case batch, tokens, steps, lr, schedule
    case warmupSteps = "warmup_steps"
    case minLRRatio = "min_lr_ratio"
    case weightDecay = "weight_decay"
    case gradClip = "grad_clip"
    case logEvery = "log_every"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    batch = try c.decode(Int.self, forKey: .batch)
    tokens = try c.decodeIfPresent(Int.self, forKey: .tokens)
    steps = try c.decodeIfPresent(Int.self, forKey: .steps)
    lr = try c.decodeIfPresent(LearningRate.self, forKey: .lr) ?? .fixed(1e-3)
    schedule = try c.decodeIfPresent(ScheduleKind.self, forKey: .schedule) ?? .cosine
    warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 0
    minLRRatio = try c.decodeIfPresent(Double.self, forKey: .minLRRatio) ?? 0.1
    weightDecay = try c.decodeIfPresent(Double.self, forKey: .weightDecay) ?? 0.1
    gradClip = try c.decodeIfPresent(Double.self, forKey: .gradClip) ?? 1.0
    logEvery = try c.decodeIfPresent(Int.self, forKey: .logEvery) ?? 10
  }
}

public struct EvaluationSettings: Codable, Sendable, Equatable {
  /// Validation loss every this many steps (0: only after the last).
  public var every: Int
  /// Fixed validation windows.
  public var windows: Int
  public var seed: Int
  /// Also score the whole validation part at the end.
  public var full: Bool

  public init() {
    every = 0
    windows = 32
    seed = 0
    full = false
  }

  enum CodingKeys: String, CodingKey { case every, windows, seed, full }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = EvaluationSettings()
    every = try c.decodeIfPresent(Int.self, forKey: .every) ?? d.every
    windows = try c.decodeIfPresent(Int.self, forKey: .windows) ?? d.windows
    seed = try c.decodeIfPresent(Int.self, forKey: .seed) ?? d.seed
    full = try c.decodeIfPresent(Bool.self, forKey: .full) ?? d.full
  }
}
