import Foundation
import WorkbenchErrors

/// A fitted scaling law: its form, published parameters, objective and goodness of fit.
public struct ScalingFit: Sendable {
  public var form: ScalingForm
  /// Published parameters, in `form.parameterNames` order.
  public var parameters: [Double]
  /// Σ Huber_δ(ln L̂ − ln L) at the optimum.
  public var objective: Double
  /// R² of ln L.
  public var r2: Double
  /// ln L − ln L̂ per point.
  public var residuals: [Double]
  public var pointCount: Int
  /// 95% bootstrap percentile intervals per parameter (and derived quantities), when computed.
  public var intervals: [String: [Double]] = [:]

  /// Parameters by name.
  public var named: [String: Double] { Dictionary(uniqueKeysWithValues: zip(form.parameterNames, parameters)) }

  /// The predicted loss at a point.
  public func predict(_ point: ScalingPoint) -> Double { form.predict(parameters, at: point) }
}

/// Fits scaling laws as Hoffmann et al. (2022) and Epoch's replication do: the **sum** over points
/// of Huber_δ (δ = 1e-3) of log-loss residuals, minimised by L-BFGS from every point of a grid of
/// starts, keeping the best.
public struct ScalingFitter: Sendable {
  public var delta = 1e-3
  public var optimizer = LBFGS(maxIterations: 1000, gradientTolerance: 1e-12, functionTolerance: 1e-15)

  public init(delta: Double = 1e-3) { self.delta = delta }

  /// Why a fit cannot be made.
  public struct Failure: WorkbenchError {
    public enum Code: String, ErrorCodes { case noConvergence }
    public var code: Code { .noConvergence }
    public let description: String
  }

  /// The Huber objective and its gradient at θ.
  func objective(_ form: ScalingForm, _ logs: [[Double]], _ targets: [Double], _ t: [Double]) -> (Double, [Double]) {
    var total = 0.0
    var gradient = [Double](repeating: 0, count: t.count)
    var local = [Double](repeating: 0, count: t.count)
    for i in logs.indices {
      let r = form.logPrediction(t, logs[i], gradient: &local) - targets[i]
      let h: Double
      let dh: Double
      if abs(r) <= delta {
        h = 0.5 * r * r
        dh = r
      } else {
        h = delta * (abs(r) - 0.5 * delta)
        dh = r > 0 ? delta : -delta
      }
      total += h
      for j in gradient.indices { gradient[j] += dh * local[j] }
    }
    return (total, gradient)
  }

  /// Fits `form` to `points` from its grid of starts (or `starts`, log-space θ).
  public func fit(_ form: ScalingForm, to points: [ScalingPoint], starts: [[Double]]? = nil) throws -> ScalingFit {
    let usable = points.filter { p in p.loss > 0 && form.variables.allSatisfy { p.value($0) > 0 } }
    let count = form.parameterNames.count
    guard usable.count > count else {
      throw Failure(
        description:
          "\(form.name) needs more than \(count) points with \(form.variables.map(\.rawValue).joined(separator: ", ")) and a loss; got \(usable.count)"
      )
    }
    let logs = usable.map { p in form.variables.map { log(p.value($0)) } }
    let targets = usable.map { log($0.loss) }
    var best: LBFGS.Result?
    for start in starts ?? form.startingGrid {
      let result = optimizer.minimize(start) { objective(form, logs, targets, $0) }
      if result.value.isFinite, result.value < best?.value ?? .infinity { best = result }
    }
    guard let best else { throw Failure(description: "\(form.name): no start converged") }
    var scratch = [Double](repeating: 0, count: count)
    let predictions = logs.map { form.logPrediction(best.x, $0, gradient: &scratch) }
    let residuals = zip(targets, predictions).map { $0 - $1 }
    let mean = targets.reduce(0, +) / Double(targets.count)
    let total = targets.map { ($0 - mean) * ($0 - mean) }.reduce(0, +)
    let unexplained = residuals.map { $0 * $0 }.reduce(0, +)
    return ScalingFit(
      form: form, parameters: form.parameters(from: best.x), objective: best.value,
      r2: total > 0 ? 1 - unexplained / total : 1,
      residuals: residuals, pointCount: usable.count)
  }

  /// 95% percentile intervals from `resamples` seeded bootstrap resamples of the points, each
  /// refitted from the full fit's optimum (and from the grid when that fails).
  public func bootstrap(_ fit: ScalingFit, points: [ScalingPoint], resamples: Int = 200, seed: UInt64 = 0)
    -> [String: [Double]]
  {
    let usable = points.filter { p in p.loss > 0 && fit.form.variables.allSatisfy { p.value($0) > 0 } }
    var state = seed ^ 0x5DEE_CE66_D1CE_4E5B
    func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    let start = fit.form.internalParameters(from: fit.parameters)
    var samples = [[Double]](repeating: [], count: fit.parameters.count)
    for _ in 0..<resamples {
      let resample = (0..<usable.count).map { _ in usable[Int(next() % UInt64(usable.count))] }
      // A resample whose fit runs off to infinity says nothing about the interval: skip it.
      guard let refit = try? self.fit(fit.form, to: resample, starts: [start]), refit.parameters.allSatisfy(\.isFinite)
      else { continue }
      for (i, value) in refit.parameters.enumerated() { samples[i].append(value) }
    }
    var intervals: [String: [Double]] = [:]
    for (name, values) in zip(fit.form.parameterNames, samples) where values.count >= 10 {
      let sorted = values.sorted()
      func quantile(_ q: Double) -> Double {
        sorted[min(sorted.count - 1, Int((q * Double(sorted.count - 1)).rounded()))]
      }
      intervals[name] = [quantile(0.025), quantile(0.975)]
    }
    return intervals
  }
}
