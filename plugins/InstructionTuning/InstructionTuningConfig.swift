import WorkbenchKit
import WorkbenchLM

/// The config of an `instruction-tuning` experiment: one run per (model shape, number of tuned
/// tasks K, task-subset seed).
public struct InstructionTuningConfig: Codable, Sendable, Equatable {
  public var model: ModelShape
  /// K: how many seen tasks the model is tuned on (0: the base model, untuned).
  public var tasks: Int
  /// Which K tasks: subsets for one seed are nested (K = 8 contains K = 4).
  public var subsetSeed: Int
  /// The task suite's seed (its split and demonstrations).
  public var suiteSeed: Int
  public var pretraining: PretrainingSettings
  public var finetuning: FinetuningSettings
  public var evaluation: InstructionEvaluationSettings

  enum CodingKeys: String, CodingKey {
    case model, tasks, pretraining, finetuning, evaluation
    case subsetSeed = "subset_seed"
    case suiteSeed = "suite_seed"
  }

  public init(
    model: ModelShape, tasks: Int, subsetSeed: Int = 0, suiteSeed: Int = 0, pretraining: PretrainingSettings,
    finetuning: FinetuningSettings, evaluation: InstructionEvaluationSettings
  ) {
    self.model = model
    self.tasks = tasks
    self.subsetSeed = subsetSeed
    self.suiteSeed = suiteSeed
    self.pretraining = pretraining
    self.finetuning = finetuning
    self.evaluation = evaluation
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    model = try c.decode(ModelShape.self, forKey: .model)
    tasks = try c.decode(Int.self, forKey: .tasks)
    subsetSeed = try c.decodeIfPresent(Int.self, forKey: .subsetSeed) ?? 0
    suiteSeed = try c.decodeIfPresent(Int.self, forKey: .suiteSeed) ?? 0
    pretraining = try c.decodeIfPresent(PretrainingSettings.self, forKey: .pretraining) ?? PretrainingSettings()
    finetuning = try c.decodeIfPresent(FinetuningSettings.self, forKey: .finetuning) ?? FinetuningSettings()
    evaluation =
      try c.decodeIfPresent(InstructionEvaluationSettings.self, forKey: .evaluation) ?? InstructionEvaluationSettings()
  }
}

/// A GPT's shape; the vocabulary and context come from the task suite.
public struct ModelShape: Codable, Sendable, Equatable {
  public var layers: Int
  public var width: Int
  public var heads: Int

  enum CodingKeys: String, CodingKey {
    case layers = "n_layer"
    case width = "d_model"
    case heads = "n_head"
  }
}

/// The base model: language modelling on the suite's text without answers (definitions and
/// inputs), so it knows the words but no task — or the model of a finished run of the log.
public struct PretrainingSettings: Codable, Sendable, Equatable {
  public var steps = 300
  public var batch = 32
  public var lr = 3e-3
  /// A finished run (key, key prefix or id) whose final model is the base instead.
  public var fromRun: String?

  public init() {}

  enum CodingKeys: String, CodingKey {
    case steps, batch, lr
    case fromRun = "from_run"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? 300
    batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? 32
    lr = try c.decodeIfPresent(Double.self, forKey: .lr) ?? 3e-3
    fromRun = try c.decodeIfPresent(String.self, forKey: .fromRun)
  }
}

/// Tuning on the K tasks: a fixed budget of steps whatever K is, each example a random task, a
/// fresh instance and an encoding from the mixture; the loss is on the answer's tokens only.
public struct FinetuningSettings: Codable, Sendable, Equatable {
  public var steps = 1000
  public var batch = 32
  public var lr = 2e-3
  public var warmupSteps = 50
  public var encodings: [InstructionEncoding] = InstructionEncoding.allCases
  /// Distinct training instances per task (0: a fresh one every time).
  public var instancesPerTask = 0
  /// Format augmentation: half of the examples in one of this many prompt formats of the grammar
  /// (drawn with a seed of their own, not the prompt-sensitivity plugin's); nil or 0: Tk-Instruct's
  /// layouts only.
  public var formatAugmentation: Int?

  public init() {}

  enum CodingKeys: String, CodingKey {
    case steps, batch, lr, encodings
    case warmupSteps = "warmup_steps"
    case instancesPerTask = "instances_per_task"
    case formatAugmentation = "format_augmentation"
  }

  /// The formats of format augmentation.
  public var augmentationFormats: [PromptFormat] {
    guard let count = formatAugmentation, count > 0 else { return [] }
    return PromptFormat.sample(count + 1, seed: 0xA06_7E47).dropFirst().map { $0 }
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? 1000
    batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? 32
    lr = try c.decodeIfPresent(Double.self, forKey: .lr) ?? 2e-3
    warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? 50
    encodings = try c.decodeIfPresent([InstructionEncoding].self, forKey: .encodings) ?? InstructionEncoding.allCases
    instancesPerTask = try c.decodeIfPresent(Int.self, forKey: .instancesPerTask) ?? 0
    formatAugmentation = try c.decodeIfPresent(Int.self, forKey: .formatAugmentation)
    if formatAugmentation == 0 { formatAugmentation = nil }
  }
}

/// Greedy decoding on every tier's tasks, scored by SNI's metrics.
public struct InstructionEvaluationSettings: Codable, Sendable, Equatable {
  /// Test instances per task.
  public var instances = 10
  public var encoding: InstructionEncoding = .definitionPositives
  /// Longest answer, in words.
  public var maxTokens = 12

  public init() {}

  enum CodingKeys: String, CodingKey {
    case instances, encoding
    case maxTokens = "max_tokens"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    instances = try c.decodeIfPresent(Int.self, forKey: .instances) ?? 10
    encoding = try c.decodeIfPresent(InstructionEncoding.self, forKey: .encoding) ?? .definitionPositives
    maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? 12
  }
}
