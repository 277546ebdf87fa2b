import GPTTrainingPlugin
import WorkbenchKit
import WorkbenchLM

/// A scaling sweep: the keys of `gpt-train` (model grid, data, training, evaluation) plus a token
/// budget rule and the analysis settings.
public struct ScalingSweepConfig: ConfigSection, Equatable {
  public var training = GPTTrainingConfig()
  public var budget = BudgetRule()
  public var analysis = AnalysisSettings()

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [.inline(\.training), .section("budget", \.budget), .section("analysis", \.analysis)]
  }
}

/// How many tokens each model trains on: `training.tokens` as given, `tokens_per_parameter`·N
/// (Chinchilla's ~20), or a compute budget C (FLOPs, 6·N·D) shared by every size (IsoFLOP).
public struct BudgetRule: ConfigSection, Equatable {
  public var tokensPerParameter: Double?
  public var compute: Double?

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .optional(
        "tokens_per_parameter", \.tokensPerParameter, sweepable: true,
        "tokens = this × N (instead of training.tokens)"),
      .optional("compute", \.compute, sweepable: true, "IsoFLOP: tokens = C / (6N) for every size"),
    ]
  }
}

/// What the analysis fits and how.
public struct AnalysisSettings: ConfigSection, Equatable {
  /// Learning-curve points before this step are left out of the fits (warm-up).
  public var warmupSteps = 0
  /// The largest this many model sizes are held out and predicted (the extrapolation check).
  public var holdout = 2
  /// Bootstrap resamples for the 95% intervals.
  public var bootstrap = 100
  /// Drop the K highest final losses from the fits of L(N) and the Chinchilla form.
  public var excludeTop = 0
  /// Leave models smaller than this out of every fit.
  public var minN: Double?

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key("warmup_steps", \.warmupSteps, "learning-curve points before this step are not fitted"),
      .key("holdout", \.holdout, "largest sizes held out to check extrapolation"),
      .key("bootstrap", \.bootstrap, "bootstrap resamples for 95% intervals"),
      .key("exclude_top", \.excludeTop, "drop the K highest final losses from the fits"),
      .optional("min_N", \.minN, default: "0", "leave models smaller than this out of every fit"),
    ]
  }
}
