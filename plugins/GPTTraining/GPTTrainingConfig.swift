import WorkbenchKit
import WorkbenchLM

/// The config of a `gpt-train` experiment: a model (a list sweeps over shapes), data, training
/// and evaluation settings.
public struct GPTTrainingConfig: ConfigSection, Equatable {
  public var model = GPTConfig(layers: 1, width: 8, heads: 1, context: 8)
  public var data = DataSettings()
  public var training = TrainingSettings()
  public var evaluation = EvaluationSettings()
  /// Save a checkpoint every this many steps (0: only at the end and when interrupted).
  public var checkpointEvery = 0

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .required(
        "model", \.model, type: "{n_layer, d_model, n_head, ctx}", sweepable: true,
        "model shape; a list sweeps over shapes"),
      .section("data", \.data),
      .section("training", \.training, required: true),
      .section("evaluation", \.evaluation),
      .key("checkpoint_every", \.checkpointEvery, "checkpoint interval in steps (0: end and interrupts)"),
    ]
  }
}

/// Where the text comes from: files (default GCIDE) or a built-in seeded Markov chain.
public struct DataSettings: ConfigSection, Equatable {
  /// Files or globs, plain or gzip/dictzip, concatenated in order.
  public var corpus: Paths?
  public var synthetic: SyntheticSettings?

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .optional(
        "corpus", \.corpus, type: "path or [paths]", default: TextCorpus.gcidePath,
        "text files or globs, plain or .gz/.dz"),
      .optionalSection("synthetic", \.synthetic),
    ]
  }

  /// The files to read, GCIDE when nothing is named.
  public var files: [String] { corpus?.paths ?? [TextCorpus.gcidePath] }
}

/// One path or a list of them (written as a list).
public struct Paths: Codable, Sendable, Equatable {
  public var paths: [String]

  public init(_ paths: [String]) { self.paths = paths }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let one = try? c.decode(String.self) { paths = [one] } else { paths = try c.decode([String].self) }
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(paths)
  }
}

/// An order-1 Markov chain text with an exact entropy rate (see `MarkovCorpus`), instead of files.
public struct SyntheticSettings: ConfigSection, Equatable {
  public var alphabet = 16
  public var concentration = 0.3
  public var bytes = 4_000_000
  public var seed = 0

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key("alphabet", \.alphabet, "with synthetic text: symbols of the chain"),
      .key("concentration", \.concentration, "with synthetic text: Dirichlet concentration of each row"),
      .key("bytes", \.bytes, "with synthetic text: length"),
      .key("seed", \.seed, "with synthetic text: the chain's seed"),
    ]
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

public struct TrainingSettings: ConfigSection, Equatable {
  public var batch = 0
  /// The token budget; steps = ⌈tokens / (batch·ctx)⌉. Give this or `steps`.
  public var tokens: Int?
  public var steps: Int?
  public var lr = LearningRate.fixed(1e-3)
  public var schedule = ScheduleKind.cosine
  public var warmupSteps = 0
  public var minLRRatio = 0.1
  public var weightDecay = 0.1
  /// Clip the global gradient norm to this; 0 turns clipping off.
  public var gradClip = 1.0
  public var logEvery = 10

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .required("batch", \.batch, sweepable: true, "sequences per step"),
      .optional("tokens", \.tokens, sweepable: true, default: "or steps", "token budget (or training.steps)"),
      .optional("steps", \.steps, sweepable: true, default: "or tokens", "optimizer steps (or training.tokens)"),
      .key("lr", \.lr, type: "float | kaplan", sweepable: true, "peak learning rate, or Kaplan's LR(N)"),
      .key("schedule", \.schedule, "learning-rate schedule"),
      .key("warmup_steps", \.warmupSteps, "linear warm-up steps"),
      .key("min_lr_ratio", \.minLRRatio, "cosine floor as a fraction of the peak"),
      .key("weight_decay", \.weightDecay, "AdamW decay on matrices and embeddings"),
      .key("grad_clip", \.gradClip, "global gradient-norm clip; 0 = off"),
      .key("log_every", \.logEvery, "training-loss logging interval, in steps"),
    ]
  }
}

public struct EvaluationSettings: ConfigSection, Equatable {
  /// Validation loss every this many steps (0: only after the last).
  public var every = 0
  /// Fixed validation windows.
  public var windows = 32
  public var seed = 0
  /// Also score the whole validation part at the end.
  public var full = false

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key("every", \.every, "validation interval in steps (0: at the end)"),
      .key("windows", \.windows, "fixed validation windows"),
      .key("seed", \.seed, "seed of the validation windows"),
      .key("full", \.full, "also score the whole validation part at the end"),
    ]
  }
}
