import Foundation

/// The quantity a one-variable law is a function of.
public enum ScalingVariable: String, Sendable, Codable, CaseIterable {
  /// Non-embedding parameters.
  case N
  /// Training tokens.
  case D
  /// Training compute (FLOPs).
  case C
  /// Optimizer steps.
  case S
}

/// One observed loss with everything a form may read.
public struct ScalingPoint: Sendable, Equatable {
  public var N: Double
  public var D: Double
  public var C: Double
  public var S: Double
  public var loss: Double

  public init(N: Double = .nan, D: Double = .nan, C: Double = .nan, S: Double = .nan, loss: Double) {
    self.N = N
    self.D = D
    self.C = C
    self.S = S
    self.loss = loss
  }

  func value(_ variable: ScalingVariable) -> Double {
    switch variable {
    case .N: return N
    case .D: return D
    case .C: return C
    case .S: return S
    }
  }
}

/// The functional forms of the scaling-law literature. Each is fitted in log space with
/// parameters that keep it positive; `parameters(from:)` turns them into the published ones.
public enum ScalingForm: Sendable, Equatable, Hashable, CustomStringConvertible {
  /// L(X) = (X_c/X)^α (Kaplan et al. 2020's one-variable laws).
  case power(ScalingVariable)
  /// L(X) = E + A/X^α.
  case powerWithOffset(ScalingVariable)
  /// Kaplan's L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D.
  case kaplanND
  /// Kaplan's L(N, S) = (N_c/N)^α_N + (S_c/S)^α_S.
  case kaplanNS
  /// Hoffmann et al. (2022): L(N, D) = E + A/N^α + B/D^β.
  case chinchilla

  /// Every form, one-variable ones for N, D and C.
  public static let all: [ScalingForm] =
    [ScalingVariable.N, .D, .C].flatMap { [ScalingForm.power($0), .powerWithOffset($0)] } + [
      .kaplanND, .kaplanNS, .chinchilla,
    ]

  /// A short name for the command line: `n`, `n+e`, `d`, `d+e`, `c`, `c+e`, `kaplan-nd`, `kaplan-ns`, `chinchilla`.
  public var name: String {
    switch self {
    case .power(let x): return x.rawValue.lowercased()
    case .powerWithOffset(let x): return x.rawValue.lowercased() + "+e"
    case .kaplanND: return "kaplan-nd"
    case .kaplanNS: return "kaplan-ns"
    case .chinchilla: return "chinchilla"
    }
  }

  public init?(name: String) {
    guard let form = Self.all.first(where: { $0.name == name.lowercased() }) else { return nil }
    self = form
  }

  /// The formula, as the literature writes it.
  public var description: String {
    switch self {
    case .power(let x): return "L(\(x)) = (\(x)_c/\(x))^alpha"
    case .powerWithOffset(let x): return "L(\(x)) = E + A/\(x)^alpha"
    case .kaplanND: return "L(N,D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D"
    case .kaplanNS: return "L(N,S) = (N_c/N)^alpha_N + (S_c/S)^alpha_S"
    case .chinchilla: return "L(N,D) = E + A/N^alpha + B/D^beta"
    }
  }

  /// The variables a point needs.
  public var variables: [ScalingVariable] {
    switch self {
    case .power(let x), .powerWithOffset(let x): return [x]
    case .kaplanND, .chinchilla: return [.N, .D]
    case .kaplanNS: return [.N, .S]
    }
  }

  /// Names of the published parameters, in order.
  public var parameterNames: [String] {
    switch self {
    case .power(let x): return ["\(x)_c", "alpha"]
    case .powerWithOffset: return ["E", "A", "alpha"]
    case .kaplanND: return ["N_c", "D_c", "alpha_N", "alpha_D"]
    case .kaplanNS: return ["N_c", "S_c", "alpha_N", "alpha_S"]
    case .chinchilla: return ["E", "A", "B", "alpha", "beta"]
    }
  }

  /// Where each published parameter sits in θ, and whether θ holds its logarithm: the one
  /// declaration of the mapping both ways.
  var layout: [(theta: Int, logarithm: Bool)] {
    switch self {
    case .power: [(0, true), (1, false)]
    case .powerWithOffset: [(1, true), (0, true), (2, false)]
    case .kaplanND, .kaplanNS: [(0, true), (1, true), (2, false), (3, false)]
    case .chinchilla: [(2, true), (0, true), (1, true), (3, false), (4, false)]
    }
  }

  /// Published parameters from the fitted (log-space) ones θ.
  public func parameters(from t: [Double]) -> [Double] {
    layout.map { $0.logarithm ? exp(t[$0.theta]) : t[$0.theta] }
  }

  /// The log-space parameters θ of published parameters (the inverse of `parameters(from:)`).
  public func internalParameters(from p: [Double]) -> [Double] {
    var t = [Double](repeating: 0, count: p.count)
    for (value, place) in zip(p, layout) { t[place.theta] = place.logarithm ? log(value) : value }
    return t
  }

  /// ln L̂ at `x` (the log of each variable) and its gradient with respect to θ.
  func logPrediction(_ t: [Double], _ x: [Double], gradient: inout [Double]) -> Double {
    switch self {
    case .power:
      gradient[0] = t[1]
      gradient[1] = t[0] - x[0]
      return t[1] * (t[0] - x[0])
    case .powerWithOffset:
      let (value, w) = logSumExp(t[0] - t[2] * x[0], t[1])
      gradient[0] = w.0
      gradient[1] = w.1
      gradient[2] = -w.0 * x[0]
      return value
    case .chinchilla:
      let (value, w) = logSumExp(t[0] - t[3] * x[0], t[1] - t[4] * x[1], t[2])
      gradient[0] = w.0
      gradient[1] = w.1
      gradient[2] = w.2
      gradient[3] = -w.0 * x[0]
      gradient[4] = -w.1 * x[1]
      return value
    case .kaplanND:
      let ratio = t[2] / t[3]
      let u = ratio * (t[0] - x[0])
      let (inner, w) = logSumExp(u, t[1] - x[1])
      gradient[0] = t[2] * w.0
      gradient[1] = t[3] * w.1
      gradient[2] = w.0 * (t[0] - x[0])
      gradient[3] = inner - w.0 * u
      return t[3] * inner
    case .kaplanNS:
      let (value, w) = logSumExp(t[2] * (t[0] - x[0]), t[3] * (t[1] - x[1]))
      gradient[0] = w.0 * t[2]
      gradient[1] = w.1 * t[3]
      gradient[2] = w.0 * (t[0] - x[0])
      gradient[3] = w.1 * (t[1] - x[1])
      return value
    }
  }

  /// The predicted loss at a point, from published parameters.
  public func predict(_ parameters: [Double], at point: ScalingPoint) -> Double {
    var gradient = [Double](repeating: 0, count: parameters.count)
    return exp(
      logPrediction(internalParameters(from: parameters), variables.map { log(point.value($0)) }, gradient: &gradient))
  }

  /// The grid of starting points (θ) that L-BFGS is run from; Hoffmann et al.'s grid for the
  /// Chinchilla form.
  public var startingGrid: [[Double]] {
    switch self {
    case .power:
      return product([[2, 5, 10, 15, 20, 30, 40], [0.05, 0.1, 0.3, 0.6, 1]])
    case .powerWithOffset:
      return product([[0, 5, 10, 15, 20, 25], [-1, -0.5, 0, 0.5, 1], [0, 0.5, 1, 1.5, 2]])
    case .chinchilla:
      return product([
        [0, 5, 10, 15, 20, 25], [0, 5, 10, 15, 20, 25], [-1, -0.5, 0, 0.5, 1], [0, 0.5, 1, 1.5, 2],
        [0, 0.5, 1, 1.5, 2],
      ])
    case .kaplanND, .kaplanNS:
      return product([
        [5, 10, 15, 20, 25, 30], [5, 10, 15, 20, 25, 30], [0.05, 0.1, 0.3, 0.6], [0.05, 0.1, 0.3, 0.6],
      ])
    }
  }
}

/// Every combination of one value per axis.
func product(_ axes: [[Double]]) -> [[Double]] {
  axes.reduce([[]]) { partial, axis in partial.flatMap { prefix in axis.map { prefix + [$0] } } }
}

/// ln(eᵃ + eᵇ) and the softmax weights, computed stably.
@inline(__always) func logSumExp(_ a: Double, _ b: Double) -> (Double, (Double, Double)) {
  let top = max(a, b)
  let (ea, eb) = (exp(a - top), exp(b - top))
  let total = ea + eb
  return (top + log(total), (ea / total, eb / total))
}

/// ln(eᵃ + eᵇ + eᶜ) and the softmax weights, computed stably.
@inline(__always) func logSumExp(_ a: Double, _ b: Double, _ c: Double) -> (Double, (Double, Double, Double)) {
  let top = max(a, b, c)
  let (ea, eb, ec) = (exp(a - top), exp(b - top), exp(c - top))
  let total = ea + eb + ec
  return (top + log(total), (ea / total, eb / total, ec / total))
}
