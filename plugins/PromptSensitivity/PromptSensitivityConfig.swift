import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM

/// The config of a `prompt-sensitivity` experiment: one run per probed model (shape × how it was
/// tuned), each evaluated under every prompt variation of `probe`.
public struct PromptSensitivityConfig: ConfigSection, Equatable {
  public var model = ModelShape(layers: 1, width: 8, heads: 1)
  public var tuning = Tuning.tuned
  /// How the probed models are made: the instruction-tuning plugin's settings.
  public var checkpoints = CheckpointRecipe()
  public var probe = ProbeSettings()

  /// Which model of a shape is probed.
  public enum Tuning: String, ConfigChoice {
    /// The pretrained model, not tuned (instruction tuning with I = 0).
    case base
    /// Tuned on I instructions in Tk-Instruct's layouts only (one format family).
    case tuned
    /// Tuned on the same I instructions with format augmentation.
    case augmented
  }

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .required("model", \.model, type: "{n_layer, d_model, n_head}", sweepable: true, "the probed model's shape"),
      .key("tuning", \.tuning, sweepable: true, "which model of the shape"),
      .section("checkpoints", \.checkpoints),
      .section("probe", \.probe),
    ]
  }

  /// The instruction-tuning run whose model this run probes: same settings, same seed, so a run
  /// of `instruct.yaml` with them is reused from the log.
  public var instructionTuning: InstructionTuningConfig {
    var finetuning = checkpoints.finetuning
    if tuning == .augmented { finetuning.formatAugmentation = checkpoints.formatAugmentation }
    return InstructionTuningConfig(
      model: model.shape, instructions: tuning == .base ? 0 : checkpoints.instructions,
      subsetSeed: checkpoints.subsetSeed,
      suiteSeed: checkpoints.suiteSeed, pretraining: checkpoints.pretraining, finetuning: finetuning,
      evaluation: checkpoints.evaluation)
  }
}

/// The instruction-tuning settings of the probed models (the instruction-tuning plugin's keys).
public struct CheckpointRecipe: ConfigSection, Equatable {
  /// I, the distinct instructions of the tuned models.
  public var instructions = 4096
  public var subsetSeed = 0
  public var suiteSeed = 0
  public var pretraining = PretrainingSettings()
  public var finetuning = FinetuningSettings()
  public var evaluation = InstructionEvaluationSettings()
  /// Formats of the grammar the augmented model sees in tuning.
  public var formatAugmentation = 40

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key("instructions", \.instructions, "I, distinct instructions of the tuned models"),
      .key("subset_seed", \.subsetSeed, "which I instructions"),
      .key("suite_seed", \.suiteSeed, "the task suite's seed"),
      .section("pretraining", \.pretraining),
      .section("finetuning", \.finetuning),
      .section("evaluation", \.evaluation),
      .key("format_augmentation", \.formatAugmentation, "formats the augmented model is tuned on"),
    ]
  }
}

/// The prompt variations every probed model is evaluated under.
public struct ProbeSettings: ConfigSection, Equatable {
  /// Classification tasks (names as `workbench tasks list` prints them).
  public var tasks = [
    "contains-sequence(x=m,y=j,z=d)", "contains-all(s1=h,s2=i,s3=j,s4=k)", "how-many-of(s1=d,s2=e,s3=j,s4=m)",
    "count-set(s1=a,s2=c,s3=m,s4=o)", "contains-sequence(x=a,y=o,z=k)", "how-many-of(s1=b,s2=f,s3=m,s4=p)",
  ]
  /// Test instances per task (label-balanced).
  public var instances = 16
  /// Formats drawn from the grammar (the first is Tk-Instruct's layout).
  public var formats = 60
  public var formatSeed = 0
  /// Demonstrations in the format axis.
  public var formatShots = 2
  /// The few-shot axis: numbers of demonstrations.
  public var shots = [0, 1, 2, 4, 8]
  /// Demonstration sets drawn per k (and per format in the format axis).
  public var selectionSeeds = 3
  /// Demonstrations whose every order is evaluated (k! orders; a seeded sample of 24 above 4).
  public var orderShots = 4
  /// Thompson-sampling search for the best and worst format: model calls per task (0: off).
  public var searchBudget = 480
  public var searchBatch = 8
  /// Generation tasks: greedy decoding (exact match and ROUGE-L) instead of the teacher-forced
  /// exact match, which gives the same exact match from one forward pass.
  public var greedy = false

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key(
        "tasks", \.tasks, type: "[task]", default: "6 classification tasks", "tasks evaluated (`workbench tasks list`)"),
      .key("instances", \.instances, "test instances per task, label-balanced"),
      .key("formats", \.formats, "formats drawn from the grammar (the first: Tk-Instruct's)"),
      .key("format_seed", \.formatSeed, "which formats"),
      .key("format_shots", \.formatShots, "demonstrations in the wording axis and the search"),
      .key("shots", \.shots, "k: every format is evaluated at each"),
      .key("selection_seeds", \.selectionSeeds, "demonstration sets per k (each with every format)"),
      .key("order_shots", \.orderShots, "demonstrations whose orders are all evaluated"),
      .key(
        "greedy", \.greedy,
        "generation tasks: decode greedily for ROUGE-L too (else exact match from one teacher-forced pass)"),
      .key("search_budget", \.searchBudget, "Thompson-sampling format search: calls per task"),
      .key("search_batch", \.searchBatch, "instances per pull of the search"),
    ]
  }
}
