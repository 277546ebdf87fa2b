import Foundation

/// y = k·C^exponent: how a compute-optimal quantity grows with training compute.
public struct AllocationLaw: Sendable, Equatable, Codable {
  public var k: Double
  public var exponent: Double

  public init(k: Double, exponent: Double) {
    self.k = k
    self.exponent = exponent
  }

  public func callAsFunction(_ C: Double) -> Double { k * pow(C, exponent) }

  /// Least squares of ln y on ln C.
  public static func fit(C: [Double], y: [Double]) -> AllocationLaw? {
    guard C.count >= 2, C.count == y.count, C.allSatisfy({ $0 > 0 }), y.allSatisfy({ $0 > 0 }) else { return nil }
    let u = C.map(log)
    let v = y.map(log)
    let mu = u.reduce(0, +) / Double(u.count)
    let mv = v.reduce(0, +) / Double(v.count)
    let suu = u.map { ($0 - mu) * ($0 - mu) }.reduce(0, +)
    guard suu > 0 else { return nil }
    let slope = zip(u, v).map { ($0 - mu) * ($1 - mv) }.reduce(0, +) / suu
    return AllocationLaw(k: exp(mv - slope * mu), exponent: slope)
  }
}

/// One compute-optimal point: the best model size (and tokens) found for a budget.
public struct OptimalPoint: Sendable, Equatable {
  public var C: Double
  public var N: Double
  public var D: Double
  public var loss: Double
}

/// The three ways of Hoffmann et al. (2022) to find how N and D should grow with compute.
public enum ComputeOptimal {
  /// Approach 1: the lower envelope of loss over compute across every learning curve. Compute is
  /// cut into `bins` log-spaced bins; in each, the point with the lowest loss gives N and D.
  public static func envelope(_ curve: [ScalingPoint], bins: Int = 12) -> (
    frontier: [OptimalPoint], N: AllocationLaw?, D: AllocationLaw?
  ) {
    let points = curve.filter { $0.C > 0 && $0.N > 0 && $0.D > 0 && $0.loss.isFinite }
    guard let lo = points.map(\.C).min(), let hi = points.map(\.C).max(), hi > lo else { return ([], nil, nil) }
    let (a, b) = (log(lo), log(hi))
    var best: [Int: ScalingPoint] = [:]
    for p in points {
      let bin = min(bins - 1, Int(Double(bins) * (log(p.C) - a) / (b - a)))
      if p.loss < best[bin]?.loss ?? .infinity { best[bin] = p }
    }
    let frontier = best.keys.sorted().map { best[$0]! }.map { OptimalPoint(C: $0.C, N: $0.N, D: $0.D, loss: $0.loss) }
    return (
      frontier, AllocationLaw.fit(C: frontier.map(\.C), y: frontier.map(\.N)),
      AllocationLaw.fit(C: frontier.map(\.C), y: frontier.map(\.D))
    )
  }

  /// The outcome of fitting one IsoFLOP profile.
  public enum Profile: Sendable, Equatable {
    case minimum(OptimalPoint)
    /// The budget has no interior minimum (the parabola opens downwards, or its vertex lies outside the sizes tried).
    case refused(C: Double, reason: String)
  }

  /// Approach 2: for each budget, a parabola of loss in ln x through its runs (x = N, or D as in
  /// Llama 3's IsoFLOP study); its vertex is the optimal x, the other from C = 6ND. A budget
  /// without an interior minimum is refused, not extrapolated.
  public static func isoFLOP(
    _ groups: [(C: Double, points: [(x: Double, loss: Double)])], variable: ScalingVariable = .N
  )
    -> (profiles: [Profile], N: AllocationLaw?, D: AllocationLaw?)
  {
    precondition(variable == .N || variable == .D, "IsoFLOP profiles are over N or D")
    var profiles: [Profile] = []
    for group in groups.sorted(by: { $0.C < $1.C }) {
      let points = group.points.filter { $0.x > 0 && $0.loss.isFinite }
      guard points.count >= 3 else {
        profiles.append(.refused(C: group.C, reason: "\(points.count) sizes; a parabola needs at least 3"))
        continue
      }
      let x = points.map { log($0.x) }
      guard let (c2, c1, c0) = quadraticFit(x: x, y: points.map(\.loss)) else {
        profiles.append(.refused(C: group.C, reason: "the sizes do not determine a parabola"))
        continue
      }
      guard c2 > 0 else {
        profiles.append(.refused(C: group.C, reason: "the loss curve has no minimum (it opens downwards)"))
        continue
      }
      let vertex = -c1 / (2 * c2)
      guard vertex > x.min()!, vertex < x.max()! else {
        profiles.append(
          .refused(
            C: group.C,
            reason:
              "the minimum lies outside the \(variable) tried (\(variable) = \(String(format: "%.3g", exp(vertex))))"))
        continue
      }
      let best = exp(vertex)
      let other = group.C / (6 * best)
      profiles.append(
        .minimum(
          OptimalPoint(
            C: group.C, N: variable == .N ? best : other, D: variable == .N ? other : best,
            loss: c0 + c1 * vertex + c2 * vertex * vertex)))
    }
    let minima = profiles.compactMap { profile -> OptimalPoint? in
      if case .minimum(let point) = profile { return point }
      return nil
    }
    return (
      profiles, AllocationLaw.fit(C: minima.map(\.C), y: minima.map(\.N)),
      AllocationLaw.fit(C: minima.map(\.C), y: minima.map(\.D))
    )
  }

  /// Approach 3: from L = E + A/N^α + B/D^β with C = 6ND (Hoffmann et al. 2022, eq. 4):
  /// N_opt = G·(C/6)^a, D_opt = G⁻¹·(C/6)^b, G = (αA/(βB))^(1/(α+β)), a = β/(α+β), b = α/(α+β).
  public static func chinchilla(E: Double, A: Double, B: Double, alpha: Double, beta: Double) -> (
    N: AllocationLaw, D: AllocationLaw
  ) {
    let G = pow(alpha * A / (beta * B), 1 / (alpha + beta))
    let a = beta / (alpha + beta)
    let b = alpha / (alpha + beta)
    return (AllocationLaw(k: G * pow(1.0 / 6, a), exponent: a), AllocationLaw(k: pow(1.0 / 6, b) / G, exponent: b))
  }

  /// Least squares y ≈ c2·x² + c1·x + c0.
  static func quadraticFit(x: [Double], y: [Double]) -> (Double, Double, Double)? {
    // Centre x for conditioning, solve the 3×3 normal equations by Cramer's rule.
    let mean = x.reduce(0, +) / Double(x.count)
    let u = x.map { $0 - mean }
    var s = [Double](repeating: 0, count: 5)
    var t = [Double](repeating: 0, count: 3)
    for (ui, yi) in zip(u, y) {
      var power = 1.0
      for k in 0..<5 {
        s[k] += power
        if k < 3 { t[k] += power * yi }
        power *= ui
      }
    }
    let m = [[s[4], s[3], s[2]], [s[3], s[2], s[1]], [s[2], s[1], s[0]]]
    func det(_ a: [[Double]]) -> Double {
      a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
        + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
    }
    let d = det(m)
    guard abs(d) > 1e-300 else { return nil }
    let rhs = [t[2], t[1], t[0]]
    var solution = [Double](repeating: 0, count: 3)
    for column in 0..<3 {
      var replaced = m
      for row in 0..<3 { replaced[row][column] = rhs[row] }
      solution[column] = det(replaced) / d
    }
    // Undo the centring: a·(x−m)² + b·(x−m) + c.
    let (a, b, c) = (solution[0], solution[1], solution[2])
    return (a, b - 2 * a * mean, c - b * mean + a * mean * mean)
  }
}
