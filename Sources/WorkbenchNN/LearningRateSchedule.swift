import Foundation

/// How the learning rate moves over a run.
public enum LearningRateSchedule: Sendable, Equatable {
  /// `peak` at every step.
  case constant(peak: Double, warmup: Int = 0)
  /// Linear warm-up to `peak` over `warmup` steps, then cosine decay to `peak·minRatio` at the last
  /// step (as nanoGPT and `../shared/bench/ref_gpt_train.py`).
  case cosine(peak: Double, warmup: Int, minRatio: Double = 0.1)

  /// The learning rate of optimizer step `step` (0-based) of `totalSteps`.
  public func rate(step: Int, totalSteps: Int) -> Double {
    switch self {
    case .constant(let peak, let warmup):
      return step < warmup ? peak * Double(step + 1) / Double(warmup) : peak
    case .cosine(let peak, let warmup, let minRatio):
      if step < warmup { return peak * Double(step + 1) / Double(warmup) }
      let floor = peak * minRatio
      let progress = min(1, Double(step - warmup) / Double(max(1, totalSteps - 1 - warmup)))
      return floor + 0.5 * (1 + cos(Double.pi * progress)) * (peak - floor)
    }
  }

  /// Kaplan et al. (2020)'s fitted peak learning rate for a model of `N` non-embedding parameters:
  /// `LR(N) ≈ 0.003239 − 0.0001395·ln N`.
  public static func kaplanPeak(nonEmbeddingParameters N: Int) -> Double {
    0.003239 - 0.0001395 * log(Double(N))
  }
}
