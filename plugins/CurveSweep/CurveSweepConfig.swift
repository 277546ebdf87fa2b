import Foundation
import WorkbenchKit

/// The config of a curve sweep: a synthetic loss surface `L(N, D) = E + A/N^alpha + B/D^beta`,
/// "trained" step by step with seeded multiplicative noise.
public struct CurveSweepConfig: ConfigSection, Equatable {
  /// The law's constants. The defaults are Hoffmann et al. (2022)'s fitted Chinchilla values.
  public struct Law: ConfigSection, Equatable {
    public var E = 1.69
    public var A = 406.4
    public var alpha = 0.34
    public var B = 410.7
    public var beta = 0.28

    public init() {}

    public static var fields: [ConfigField<Self>] {
      [
        .key("E", \.E, "irreducible loss (Hoffmann et al. 2022)"),
        .key("A", \.A, "size coefficient"),
        .key("alpha", \.alpha, "size exponent"),
        .key("B", \.B, "data coefficient"),
        .key("beta", \.beta, "data exponent"),
      ]
    }

    /// The noiseless loss of a model of `N` parameters after `D` tokens.
    public func loss(N: Double, D: Double) -> Double { E + A / pow(N, alpha) + B / pow(D, beta) }
  }

  /// Model size N (non-embedding parameters); a list sweeps over sizes.
  public var size = 0
  /// Training steps per run.
  public var steps = 200
  /// Tokens per step, so D = steps × batch_tokens.
  public var batchTokens = 1024
  /// Log the validation loss every this many steps.
  public var evalEvery = 20
  /// Standard deviation of the multiplicative log-normal noise on each logged loss.
  public var noise = 0.01
  public var law = Law()
  /// Milliseconds each step sleeps, to imitate real work.
  public var stepMilliseconds = 0.0
  /// Make the run fail at this step (to try retries and `--rerun`); null for never.
  public var failAtStep: Int?

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .required("size", \.size, sweepable: true, "model size N; a list sweeps over sizes"),
      .key("steps", \.steps, sweepable: true, "training steps per run"),
      .key("batch_tokens", \.batchTokens, sweepable: true, "tokens per step (D = steps × batch_tokens)"),
      .key("eval_every", \.evalEvery, "log val_loss every this many steps"),
      .key("noise", \.noise, sweepable: true, "std of log-normal noise on each logged loss"),
      .section("law", \.law),
      .key("step_ms", \.stepMilliseconds, "milliseconds each step sleeps, to imitate work"),
      .optional("fail_at_step", \.failAtStep, "make runs fail at this step (to try retries)"),
    ]
  }
}
