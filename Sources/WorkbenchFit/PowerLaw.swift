import Foundation

/// A fitted power law `y = E + A·x^(−alpha)` (with `E = 0` for the pure form), fitted by least
/// squares on log residuals: `Σ (log y − log ŷ)²`.
public struct PowerLaw: Sendable, Equatable {
  public var A: Double
  public var alpha: Double
  /// The irreducible term; 0 for the pure power law.
  public var E: Double
  /// Σ (log y − log ŷ)² at the optimum.
  public var objective: Double
  /// Coefficient of determination of log y.
  public var r2: Double
  public var pointCount: Int

  /// The predicted `y` at `x`.
  public func callAsFunction(_ x: Double) -> Double { E + A * pow(x, -alpha) }

  /// Fits `y = A·x^(−alpha)` (or, with `irreducible`, `E + A·x^(−alpha)`, with `0 ≤ E < min y`).
  /// - Returns: nil with fewer than 2 points (3 with `irreducible`), or non-positive values.
  public static func fit(x: [Double], y: [Double], irreducible: Bool = false) -> PowerLaw? {
    precondition(x.count == y.count, "x has \(x.count) values, y has \(y.count)")
    guard x.count >= (irreducible ? 3 : 2), x.allSatisfy({ $0 > 0 }), y.allSatisfy({ $0 > 0 }) else { return nil }
    guard irreducible else { return logLinear(x: x, y: y, E: 0) }
    // Profile the objective over E: for fixed E the rest is a linear fit in log space.
    let top = y.min()! * (1 - 1e-9)
    var best: PowerLaw?
    let grid = 200
    var bestIndex = 0
    for i in 0..<grid {
      let E = top * Double(i) / Double(grid)
      if let candidate = logLinear(x: x, y: y, E: E), candidate.objective < best?.objective ?? .infinity {
        best = candidate
        bestIndex = i
      }
    }
    // Golden-section refinement between the neighbours of the best grid point.
    var lo = top * Double(max(bestIndex - 1, 0)) / Double(grid)
    var hi = min(top * Double(bestIndex + 1) / Double(grid), top)
    let ratio = (5.0.squareRoot() - 1) / 2
    for _ in 0..<60 {
      let a = hi - ratio * (hi - lo)
      let b = lo + ratio * (hi - lo)
      let fa = logLinear(x: x, y: y, E: a)?.objective ?? .infinity
      let fb = logLinear(x: x, y: y, E: b)?.objective ?? .infinity
      if fa < fb { hi = b } else { lo = a }
    }
    if let refined = logLinear(x: x, y: y, E: (lo + hi) / 2), refined.objective <= best?.objective ?? .infinity {
      best = refined
    }
    return best
  }

  /// Fits `log(y − E) = log A − alpha·log x` by ordinary least squares.
  static func logLinear(x: [Double], y: [Double], E: Double) -> PowerLaw? {
    let u = x.map { log($0) }
    let v = y.map { log($0 - E) }
    guard v.allSatisfy(\.isFinite) else { return nil }
    let n = Double(u.count)
    let meanU = u.reduce(0, +) / n
    let meanV = v.reduce(0, +) / n
    var suu = 0.0
    var suv = 0.0
    for (a, b) in zip(u, v) {
      suu += (a - meanU) * (a - meanU)
      suv += (a - meanU) * (b - meanV)
    }
    guard suu > 0 else { return nil }
    let slope = suv / suu
    let A = exp(meanV - slope * meanU)
    let law = PowerLaw(A: A, alpha: -slope, E: E, objective: 0, r2: 0, pointCount: x.count)
    let logY = y.map { log($0) }
    let meanLogY = logY.reduce(0, +) / n
    var residual = 0.0
    var total = 0.0
    for (xi, ly) in zip(x, logY) {
      residual += pow(ly - log(law(xi)), 2)
      total += pow(ly - meanLogY, 2)
    }
    var result = law
    result.objective = residual
    result.r2 = total > 0 ? 1 - residual / total : 1
    return result
  }

  /// 95% percentile intervals of `A`, `alpha` and `E` from `resamples` seeded bootstrap resamples
  /// of the points.
  public static func bootstrapIntervals(
    x: [Double], y: [Double], irreducible: Bool, resamples: Int = 200, seed: UInt64 = 0
  ) -> [String: [Double]] {
    var state = seed &+ 0x9e37_79b9_7f4a_7c15
    func nextIndex(_ n: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int((state >> 33) % UInt64(n))
    }
    var samples: [String: [Double]] = ["A": [], "alpha": [], "E": []]
    for _ in 0..<resamples {
      let picks = (0..<x.count).map { _ in nextIndex(x.count) }
      guard Set(picks.map { x[$0] }).count >= (irreducible ? 3 : 2),
        let law = fit(x: picks.map { x[$0] }, y: picks.map { y[$0] }, irreducible: irreducible)
      else { continue }
      samples["A"]!.append(law.A)
      samples["alpha"]!.append(law.alpha)
      samples["E"]!.append(law.E)
    }
    return samples.compactMapValues { values in
      guard values.count >= 10 else { return nil }
      let sorted = values.sorted()
      func quantile(_ q: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count - 1)).rounded())))]
      }
      return [quantile(0.025), quantile(0.975)]
    }
  }
}
