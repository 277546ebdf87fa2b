import Foundation
import WorkbenchKit

/// The config of a curve sweep: a synthetic loss surface `L(N, D) = E + A/N^alpha + B/D^beta`,
/// "trained" step by step with seeded multiplicative noise.
public struct CurveSweepConfig: Codable, Sendable, Equatable {
  /// The law's constants. The defaults are Hoffmann et al. (2022)'s fitted Chinchilla values.
  public struct Law: Codable, Sendable, Equatable {
    public var E = 1.69
    public var A = 406.4
    public var alpha = 0.34
    public var B = 410.7
    public var beta = 0.28

    public init() {}

    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      let d = Law()
      E = try c.decodeIfPresent(Double.self, forKey: .E) ?? d.E
      A = try c.decodeIfPresent(Double.self, forKey: .A) ?? d.A
      alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? d.alpha
      B = try c.decodeIfPresent(Double.self, forKey: .B) ?? d.B
      beta = try c.decodeIfPresent(Double.self, forKey: .beta) ?? d.beta
    }

    /// The noiseless loss of a model of `N` parameters after `D` tokens.
    public func loss(N: Double, D: Double) -> Double { E + A / pow(N, alpha) + B / pow(D, beta) }
  }

  /// Model size N (non-embedding parameters); a list sweeps over sizes.
  public var size: Int
  /// Training steps per run.
  public var steps: Int
  /// Tokens per step, so D = steps × batch_tokens.
  public var batchTokens: Int
  /// Log the validation loss every this many steps.
  public var evalEvery: Int
  /// Standard deviation of the multiplicative log-normal noise on each logged loss.
  public var noise: Double
  public var law: Law
  /// Milliseconds each step sleeps, to imitate real work.
  public var stepMilliseconds: Double
  /// Make the run fail at this step (to try retries and `--rerun`); null for never.
  public var failAtStep: Int?

  enum CodingKeys: String, CodingKey {
    case size, steps, law, noise
    case batchTokens = "batch_tokens"
    case evalEvery = "eval_every"
    case stepMilliseconds = "step_ms"
    case failAtStep = "fail_at_step"
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    size = try c.decode(Int.self, forKey: .size)
    steps = try c.decodeIfPresent(Int.self, forKey: .steps) ?? 200
    batchTokens = try c.decodeIfPresent(Int.self, forKey: .batchTokens) ?? 1024
    evalEvery = try c.decodeIfPresent(Int.self, forKey: .evalEvery) ?? 20
    noise = try c.decodeIfPresent(Double.self, forKey: .noise) ?? 0.01
    law = try c.decodeIfPresent(Law.self, forKey: .law) ?? Law()
    stepMilliseconds = try c.decodeIfPresent(Double.self, forKey: .stepMilliseconds) ?? 0
    failAtStep = try c.decodeIfPresent(Int.self, forKey: .failAtStep)
  }
}
