import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM

/// The config of a `prompt-sensitivity` experiment: one run per probed model (shape × how it was
/// tuned), each evaluated under every prompt variation of `probe`.
public struct PromptSensitivityConfig: Codable, Sendable, Equatable {
  public var model: ModelShape
  public var tuning: Tuning
  /// How the probed models are made: the instruction-tuning plugin's settings.
  public var checkpoints: CheckpointRecipe
  public var probe: ProbeSettings

  /// Which model of a shape is probed.
  public enum Tuning: String, Codable, Sendable, CaseIterable {
    /// The pretrained model, not tuned (instruction tuning with I = 0).
    case base
    /// Tuned on I instructions in Tk-Instruct's layouts only (one format family).
    case tuned
    /// Tuned on the same I instructions with format augmentation.
    case augmented
  }

  enum CodingKeys: String, CodingKey { case model, tuning, checkpoints, probe }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    model = try c.decode(ModelShape.self, forKey: .model)
    tuning = try c.decodeIfPresent(Tuning.self, forKey: .tuning) ?? .tuned
    checkpoints = try c.decodeIfPresent(CheckpointRecipe.self, forKey: .checkpoints) ?? CheckpointRecipe()
    probe = try c.decodeIfPresent(ProbeSettings.self, forKey: .probe) ?? ProbeSettings()
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

/// The instruction-tuning settings of the probed models.
public struct CheckpointRecipe: Codable, Sendable, Equatable {
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

  enum CodingKeys: String, CodingKey {
    case instructions, pretraining, finetuning, evaluation
    case subsetSeed = "subset_seed"
    case suiteSeed = "suite_seed"
    case formatAugmentation = "format_augmentation"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    instructions = try c.decodeIfPresent(Int.self, forKey: .instructions) ?? 4096
    subsetSeed = try c.decodeIfPresent(Int.self, forKey: .subsetSeed) ?? 0
    suiteSeed = try c.decodeIfPresent(Int.self, forKey: .suiteSeed) ?? 0
    pretraining = try c.decodeIfPresent(PretrainingSettings.self, forKey: .pretraining) ?? PretrainingSettings()
    finetuning = try c.decodeIfPresent(FinetuningSettings.self, forKey: .finetuning) ?? FinetuningSettings()
    evaluation =
      try c.decodeIfPresent(InstructionEvaluationSettings.self, forKey: .evaluation) ?? InstructionEvaluationSettings()
    formatAugmentation = try c.decodeIfPresent(Int.self, forKey: .formatAugmentation) ?? 40
  }
}

/// The prompt variations every probed model is evaluated under.
public struct ProbeSettings: Codable, Sendable, Equatable {
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

  enum CodingKeys: String, CodingKey {
    case tasks, instances, formats, shots
    case formatSeed = "format_seed"
    case formatShots = "format_shots"
    case selectionSeeds = "selection_seeds"
    case orderShots = "order_shots"
    case searchBudget = "search_budget"
    case searchBatch = "search_batch"
    case greedy
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = ProbeSettings()
    tasks = try c.decodeIfPresent([String].self, forKey: .tasks) ?? d.tasks
    instances = try c.decodeIfPresent(Int.self, forKey: .instances) ?? d.instances
    formats = try c.decodeIfPresent(Int.self, forKey: .formats) ?? d.formats
    formatSeed = try c.decodeIfPresent(Int.self, forKey: .formatSeed) ?? d.formatSeed
    formatShots = try c.decodeIfPresent(Int.self, forKey: .formatShots) ?? d.formatShots
    shots = try c.decodeIfPresent([Int].self, forKey: .shots) ?? d.shots
    selectionSeeds = try c.decodeIfPresent(Int.self, forKey: .selectionSeeds) ?? d.selectionSeeds
    orderShots = try c.decodeIfPresent(Int.self, forKey: .orderShots) ?? d.orderShots
    searchBudget = try c.decodeIfPresent(Int.self, forKey: .searchBudget) ?? d.searchBudget
    searchBatch = try c.decodeIfPresent(Int.self, forKey: .searchBatch) ?? d.searchBatch
    greedy = try c.decodeIfPresent(Bool.self, forKey: .greedy) ?? false
  }
}
