import WorkbenchKit
import WorkbenchLM

/// The config of an `instruction-tuning` experiment: one run per (model shape, number of distinct
/// tuning instructions I, instruction-subset seed), with `model.seeds` runs of a shape and the
/// `ablation`'s encodings at one point. A run's own config holds none of those two: it is the
/// canonical recipe of one tuned model (one run seed, one encoding mixture), which the
/// prompt-sensitivity plugin rebuilds to find the model in the log.
public struct InstructionTuningConfig: ConfigSection, Equatable {
  public var model = ModelShape(layers: 1, width: 8, heads: 1)
  /// I: how many distinct seen instructions the model is tuned on (0: the base model, untuned).
  public var instructions = 0
  /// Which I instructions: subsets for one seed are nested (I = 64 contains I = 16).
  public var subsetSeed = 0
  /// The task suite's seed (its split and demonstrations).
  public var suiteSeed = 0
  public var pretraining = PretrainingSettings()
  public var finetuning = FinetuningSettings()
  public var evaluation = InstructionEvaluationSettings()
  /// Instructions vs examples: more runs at one (model, I) point, each tuned and evaluated in one
  /// encoding.
  public var ablation: Ablation?
  /// Where the tasks come from: nil (or `source: suite`) the generated suite; `source: sni` a
  /// Super-NaturalInstructions folder, whose training tasks I counts.
  public var tasks: TaskSourceSettings?
  /// With SNI tasks: the tokenizer (default BPE, 2,048 tokens).
  public var tokenizer: TokenizerSettings?

  /// The Super-NaturalInstructions source, when the tasks come from one.
  public var sni: SNISource? { tasks?.sni }

  public init() {}

  public init(
    model: ModelShape, instructions: Int, subsetSeed: Int = 0, suiteSeed: Int = 0, pretraining: PretrainingSettings,
    finetuning: FinetuningSettings, evaluation: InstructionEvaluationSettings
  ) {
    self.model = model
    self.instructions = instructions
    self.subsetSeed = subsetSeed
    self.suiteSeed = suiteSeed
    self.pretraining = pretraining
    self.finetuning = finetuning
    self.evaluation = evaluation
  }

  public static var fields: [ConfigField<Self>] {
    [
      .required(
        "model", \.model, type: "{n_layer, d_model, n_head, seeds}", sweepable: true,
        "model shape (seeds: runs of it, default 1); a list sweeps over shapes"),
      .required(
        "instructions", \.instructions, sweepable: true, "I: distinct seen instructions to tune on (0: the base model)"),
      .key("subset_seed", \.subsetSeed, sweepable: true, "which I instructions (nested for one seed)"),
      .key("suite_seed", \.suiteSeed, "the task suite's seed (split, demonstrations)"),
      .section("pretraining", \.pretraining),
      .section("finetuning", \.finetuning),
      .section("evaluation", \.evaluation),
      .optionalSection("ablation", \.ablation),
      .optionalSection("tasks", \.tasks),
      .optionalSection("tokenizer", \.tokenizer),
    ]
  }

  public mutating func finishDecoding() throws {
    if tasks?.source == "suite" { tasks = nil }
    if tokenizer != nil && tasks == nil {
      throw ConfigIssue(
        ["tokenizer"], "applies to Super-NaturalInstructions tasks (tasks: {source: sni, path: DIR}) only")
    }
  }
}

/// SNI's instructions-vs-examples table: at `instructions` for `model`, one more run per encoding,
/// tuned on that encoding alone and evaluated in it.
public struct Ablation: ConfigSection, Equatable {
  public var model = ModelShape(layers: 1, width: 8, heads: 1)
  public var instructions = 0
  public var encodings: [InstructionEncoding] = []

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .required("model", \.model, type: "{n_layer, d_model, n_head}", "the shape the ablation runs at"),
      .required("instructions", \.instructions, "the I the ablation runs at"),
      .required("encodings", \.encodings, "one more run per encoding, tuned and evaluated in it"),
    ]
  }
}

/// A GPT's shape; the vocabulary and context come from the task suite. `seeds` (experiment files
/// only): how many runs of this shape, with run seeds seed, seed + 1, ….
public struct ModelShape: Codable, Sendable, Equatable {
  public var layers: Int
  public var width: Int
  public var heads: Int
  public var seeds: Int?

  public init(layers: Int, width: Int, heads: Int) {
    self.layers = layers
    self.width = width
    self.heads = heads
  }

  enum CodingKeys: String, CodingKey {
    case layers = "n_layer"
    case width = "d_model"
    case heads = "n_head"
    case seeds
  }

  /// The shape without the experiment-level `seeds`.
  public var shape: ModelShape { ModelShape(layers: layers, width: width, heads: heads) }
}

/// The base model: language modelling on the suite's text without answers (definitions and
/// inputs), so it knows the words but no task — or the model of a finished run of the log.
public struct PretrainingSettings: ConfigSection, Equatable {
  public var steps = 300
  public var batch = 32
  public var lr = 3e-3
  /// The base model's initialisation and pretraining text: runs of every seed share the base.
  public var seed = 0
  /// A finished run (key, key prefix or id) whose final model is the base instead.
  public var fromRun: String?

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key("steps", \.steps, "base-model language-modelling steps"),
      .key("batch", \.batch, "rows per pretraining step"),
      .key("lr", \.lr, "pretraining peak learning rate (cosine)"),
      .key("seed", \.seed, "the base model's seed (runs of any seed share the base)"),
      .optional(
        "from_run", \.fromRun, type: "run key",
        "a finished run (key, prefix or id) whose model is the base; no pretraining"),
    ]
  }
}

/// Tuning on the I instructions: a fixed budget of steps (so of examples) whatever I is, each example a random task, a
/// fresh instance and an encoding from the mixture; the loss is on the answer's tokens only.
public struct FinetuningSettings: ConfigSection, Equatable {
  public var steps = 1000
  public var batch = 32
  public var lr = 2e-3
  public var warmupSteps = 50
  public var encodings: [InstructionEncoding] = [.definition]
  /// Distinct training instances per task (0: a fresh one every time).
  public var instancesPerTask = 0
  /// Format augmentation: half of the examples in one of this many prompt formats of the grammar
  /// (drawn with a seed of their own, not the prompt-sensitivity plugin's); nil or 0: Tk-Instruct's
  /// layouts only.
  public var formatAugmentation: Int?

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key("steps", \.steps, "tuning steps, the same for every I"),
      .key("batch", \.batch, "rows of packed examples per tuning step"),
      .key("lr", \.lr, "tuning peak learning rate (cosine)"),
      .key("warmup_steps", \.warmupSteps, "linear warm-up steps"),
      .key("encodings", \.encodings, "the mixture"),
      .key(
        "instances_per_task", \.instancesPerTask, sweepable: true,
        "distinct training instances per instruction (0: fresh every draw)"),
      .optional(
        "format_augmentation", \.formatAugmentation, default: "0",
        "half of the examples in one of this many grammar formats (0: Tk-Instruct's layouts only)"),
    ]
  }

  public mutating func finishDecoding() throws {
    if formatAugmentation == 0 { formatAugmentation = nil }
  }

  /// The formats of format augmentation.
  public var augmentationFormats: [PromptFormat] {
    guard let count = formatAugmentation, count > 0 else { return [] }
    return PromptFormat.sample(count + 1, seed: 0xA06_7E47).dropFirst().map { $0 }
  }
}

/// Greedy decoding on a sample of every tier's instructions, scored by SNI's metrics, and the
/// checkpoint chosen on validation instructions.
public struct InstructionEvaluationSettings: ConfigSection, Equatable {
  /// Test instances per instruction.
  public var instances = 2
  /// Instructions per family in each tier's test sample (the seen tier: of the tuned ones).
  public var tasksPerFamily = 24
  /// Validation instructions per family for choosing the checkpoint (0: keep the last).
  public var validationPerFamily = 12
  /// Validate every this many tuning steps (0: four times per run).
  public var validateEvery = 0
  public var encoding: InstructionEncoding = .definition
  /// Longest answer, in words.
  public var maxTokens = 16

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key("instances", \.instances, "test instances per instruction"),
      .key("tasks_per_family", \.tasksPerFamily, "test instructions per family and tier"),
      .key(
        "validation_per_family", \.validationPerFamily,
        "validation instructions per family for choosing the checkpoint (0: the last)"),
      .key("validate_every", \.validateEvery, default: "steps/4", "tuning steps between validations"),
      .key("encoding", \.encoding, "the evaluation prompt layout"),
      .key("max_tokens", \.maxTokens, "longest answer, in words"),
    ]
  }
}

extension InstructionTuningConfig {
  /// Refuses settings that cannot train or evaluate, naming the key (both plugins that make
  /// instruction-tuned models check their recipe with it); `seenInstructions`: the suite's count.
  public func validate(seenInstructions seen: Int) throws {
    guard instructions >= 0, instructions <= seen else {
      throw ConfigIssue(
        ["instructions"], "must be 0…\(seen): the suite holds \(seen) distinct seen instructions")
    }
    let m = model
    guard (1...GPTConfig.maxLayers).contains(m.layers), (8...GPTConfig.maxWidth).contains(m.width), m.heads >= 1,
      m.width % m.heads == 0
    else {
      throw ConfigIssue(
        ["model"], "needs n_layer 1…\(GPTConfig.maxLayers), d_model 8…\(GPTConfig.maxWidth) and n_head dividing d_model"
      )
    }
    guard (1...ConfigLimits.runs).contains(m.seeds ?? 1) else {
      throw ConfigIssue(["model", "seeds"], "must be 1…\(ConfigLimits.runs) (the runs one file may plan)")
    }
    for (key, value) in [
      ("pretraining.steps", pretraining.steps), ("pretraining.batch", pretraining.batch),
      ("finetuning.batch", finetuning.batch), ("evaluation.instances", evaluation.instances),
      ("evaluation.tasks_per_family", evaluation.tasksPerFamily),
      ("evaluation.max_tokens", evaluation.maxTokens),
    ] where value < 1 {
      throw ConfigIssue(ConfigPath(key.split(separator: ".").map(String.init)), "must be at least 1")
    }
    // Bounds far above any experiment, which keep every product of them within 64-bit integers
    // and every evaluation within memory.
    for (key, value, limit) in [
      ("pretraining.steps", pretraining.steps, 1 << 40), ("finetuning.steps", finetuning.steps, 1 << 40),
      ("pretraining.batch", pretraining.batch, 1 << 16), ("finetuning.batch", finetuning.batch, 1 << 16),
      ("evaluation.instances", evaluation.instances, 10_000),
      ("evaluation.tasks_per_family", evaluation.tasksPerFamily, 100_000),
      ("evaluation.validation_per_family", evaluation.validationPerFamily, 100_000),
      ("evaluation.max_tokens", evaluation.maxTokens, 4096),
      ("finetuning.instances_per_task", finetuning.instancesPerTask, 100_000),
    ] where value > limit {
      throw ConfigIssue(ConfigPath(key.split(separator: ".").map(String.init)), "must be at most \(limit)")
    }
    guard finetuning.steps >= 0 else { throw ConfigIssue(["finetuning", "steps"], "must be 0 or more") }
    guard evaluation.validationPerFamily >= 0, evaluation.validateEvery >= 0 else {
      throw ConfigIssue(["evaluation"], "validation_per_family and validate_every must be 0 or more")
    }
    guard !finetuning.encodings.isEmpty else {
      throw ConfigIssue(["finetuning", "encodings"], "name at least one encoding")
    }
  }
}
