import Foundation

/// A compute-optimal scaling law from the literature, built in so `workbench plan` answers with no
/// experiment at all.
public struct PublishedLaw: Sendable {
  public var id: String
  public var title: String
  public var source: String
  public var N: AllocationLaw
  public var D: AllocationLaw
  /// The Chinchilla-form parameters (E, A, B, alpha, beta) when the law has them, to predict loss.
  public var chinchilla: [Double]?
  /// Kaplan's L(C_min) = (C_c/C)^alpha_C, with C in FLOPs, when the law has it.
  public var lossOfCompute: (Cc: Double, alpha: Double)?

  /// One PF-day in FLOPs.
  public static let pfDay = 8.64e19

  /// Kaplan et al. (2020), "Scaling Laws for Neural Language Models", §6: N_opt ≈ 1.3·10⁹·C^0.73
  /// (C in PF-days), with B ∝ C^0.24 and S ∝ C^0.03, so D = B·S ∝ C^0.27; L(C_min) =
  /// (3.1·10⁸ PF-days / C)^0.050.
  public static let kaplan2020 = PublishedLaw(
    id: "kaplan2020", title: "Kaplan et al. 2020", source: "arXiv:2001.08361, §6 (N_opt ∝ C^0.73, D ∝ C^0.27)",
    N: AllocationLaw(k: 1.3e9 * pow(1 / pfDay, 0.73), exponent: 0.73),
    D: AllocationLaw(k: pow(1 / pfDay, 0.27) * pfDay / (6 * 1.3e9), exponent: 0.27), chinchilla: nil,
    lossOfCompute: (3.1e8 * pfDay, 0.050))

  /// Hoffmann et al. (2022), "Training Compute-Optimal Large Language Models", eq. 10:
  /// E = 1.69, A = 406.4, B = 410.7, α = 0.34, β = 0.28.
  public static let hoffmann2022 = chinchillaLaw(
    id: "hoffmann2022", title: "Hoffmann et al. 2022 (Chinchilla)", source: "arXiv:2203.15556, eq. 10",
    [1.69, 406.4, 410.7, 0.34, 0.28])

  /// Besiroglu et al. (2024), Epoch's replication of Chinchilla's approach 3: E = 1.8172,
  /// A = 482.01, B = 2085.43, α = 0.3478, β = 0.3658.
  public static let epoch2024 = chinchillaLaw(
    id: "epoch2024", title: "Epoch 2024 (Chinchilla replication)", source: "arXiv:2404.10102",
    [1.8172, 482.01, 2085.43, 0.3478, 0.3658])

  public static let all = [kaplan2020, hoffmann2022, epoch2024]

  static func chinchillaLaw(id: String, title: String, source: String, _ p: [Double]) -> PublishedLaw {
    let (N, D) = ComputeOptimal.chinchilla(E: p[0], A: p[1], B: p[2], alpha: p[3], beta: p[4])
    return PublishedLaw(id: id, title: title, source: source, N: N, D: D, chinchilla: p, lossOfCompute: nil)
  }

  /// The predicted loss of the compute-optimal model at `C` FLOPs, when the law predicts one.
  public func loss(at C: Double) -> Double? {
    if let p = chinchilla { return p[0] + p[1] / pow(N(C), p[3]) + p[2] / pow(D(C), p[4]) }
    if let (Cc, alpha) = lossOfCompute { return pow(Cc / C, alpha) }
    return nil
  }
}

/// The answer to "with this much more compute, how big a model and how many tokens?".
public struct Plan: Sendable {
  public var law: String
  public var source: String
  /// Growth factors for a compute factor.
  public var NFactor: Double
  public var DFactor: Double
  /// Absolute values at the target compute, when it is known.
  public var C: Double?
  public var N: Double?
  public var D: Double?
  public var loss: Double?

  /// A plan from allocation laws: factors from the exponents; absolute values at `compute`.
  public init(
    law: String, source: String, N: AllocationLaw, D: AllocationLaw, scale: Double, compute: Double?, loss: Double?
  ) {
    self.law = law
    self.source = source
    NFactor = pow(scale, N.exponent)
    DFactor = pow(scale, D.exponent)
    C = compute
    self.N = compute.map { N($0) }
    self.D = compute.map { D($0) }
    self.loss = loss
  }
}
