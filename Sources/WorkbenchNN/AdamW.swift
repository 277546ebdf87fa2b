import WorkbenchTensor

/// AdamW with the hyper-parameters of the scaling-law literature (β₂ = 0.95, decay on matrices
/// only), gradient clipping by global norm, and a learning-rate schedule; one kernel per decay
/// group per step, nothing read back to the host.
public struct AdamW: Sendable, Equatable {
  public var schedule: LearningRateSchedule
  public var beta1: Float = 0.9
  public var beta2: Float = 0.95
  public var eps: Float = 1e-8
  public var weightDecay: Float = 0.1
  /// Clip the global gradient norm to this (nil: no clipping).
  public var clipNorm: Float? = 1.0

  public init(
    schedule: LearningRateSchedule, beta1: Float = 0.9, beta2: Float = 0.95, eps: Float = 1e-8,
    weightDecay: Float = 0.1,
    clipNorm: Float? = 1.0
  ) {
    self.schedule = schedule
    self.beta1 = beta1
    self.beta2 = beta2
    self.eps = eps
    self.weightDecay = weightDecay
    self.clipNorm = clipNorm
  }

  /// Clips the gradients in `arena` and applies step `step` (0-based) of `totalSteps`.
  /// - Returns: the squared gradient norm before clipping, as a scalar on the device.
  @discardableResult
  public func step(_ arena: ParameterArena, step: Int, totalSteps: Int) -> Tensor {
    let squaredNorm = arena.clipGradients(maxNorm: clipNorm)
    arena.adamWStep(
      learningRate: Float(schedule.rate(step: step, totalSteps: totalSteps)), beta1: beta1, beta2: beta2, eps: eps,
      weightDecay: weightDecay)
    return squaredNorm
  }
}
