import GPTTrainingPlugin
import WorkbenchKit
import WorkbenchLM

/// A scaling sweep: the keys of `gpt-train` (model grid, data, training, evaluation) plus a token
/// budget rule and the analysis settings.
public struct ScalingSweepConfig: Codable, Sendable, Equatable {
  public var training: GPTTrainingConfig
  public var budget: BudgetRule
  public var analysis: AnalysisSettings

  enum CodingKeys: String, CodingKey { case budget, analysis }

  public init(from decoder: any Decoder) throws {
    training = try GPTTrainingConfig(from: decoder)
    let c = try decoder.container(keyedBy: CodingKeys.self)
    budget = try c.decodeIfPresent(BudgetRule.self, forKey: .budget) ?? BudgetRule()
    analysis = try c.decodeIfPresent(AnalysisSettings.self, forKey: .analysis) ?? AnalysisSettings()
  }

  public func encode(to encoder: any Encoder) throws {
    try training.encode(to: encoder)
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(budget, forKey: .budget)
    try c.encode(analysis, forKey: .analysis)
  }
}

/// How many tokens each model trains on: `training.tokens` as given, `tokens_per_parameter`·N
/// (Chinchilla's ~20), or a compute budget C (FLOPs, 6·N·D) shared by every size (IsoFLOP).
public struct BudgetRule: Codable, Sendable, Equatable {
  public var tokensPerParameter: Double?
  public var compute: Double?

  public init() {}

  enum CodingKeys: String, CodingKey {
    case tokensPerParameter = "tokens_per_parameter"
    case compute
  }
}

/// What the analysis fits and how.
public struct AnalysisSettings: Codable, Sendable, Equatable {
  /// Learning-curve points before this step are left out of the fits (warm-up).
  public var warmupSteps: Int
  /// The largest this many model sizes are held out and predicted (the extrapolation check).
  public var holdout: Int
  /// Bootstrap resamples for the 95% intervals.
  public var bootstrap: Int
  /// Drop the K highest final losses from the fits of L(N) and the Chinchilla form.
  public var excludeTop: Int
  /// Leave models smaller than this out of every fit.
  public var minN: Double?

  public init() {
    warmupSteps = 0
    holdout = 2
    bootstrap = 100
    excludeTop = 0
  }

  enum CodingKeys: String, CodingKey {
    case warmupSteps = "warmup_steps"
    case holdout, bootstrap
    case excludeTop = "exclude_top"
    case minN = "min_N"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = AnalysisSettings()
    warmupSteps = try c.decodeIfPresent(Int.self, forKey: .warmupSteps) ?? d.warmupSteps
    holdout = try c.decodeIfPresent(Int.self, forKey: .holdout) ?? d.holdout
    bootstrap = try c.decodeIfPresent(Int.self, forKey: .bootstrap) ?? d.bootstrap
    excludeTop = try c.decodeIfPresent(Int.self, forKey: .excludeTop) ?? d.excludeTop
    minN = try c.decodeIfPresent(Double.self, forKey: .minN)
  }
}
