import Foundation

/// Limited-memory BFGS for smooth objectives: two-loop recursion over the last `memory` steps and
/// a backtracking line search that enforces the Armijo condition (curvature pairs that would break
/// positive definiteness are skipped).
public struct LBFGS: Sendable {
  public var memory = 10
  public var maxIterations = 500
  /// Stop when the gradient's largest component falls below this.
  public var gradientTolerance = 1e-9
  /// Stop when an iteration improves the objective by less than this, relatively.
  public var functionTolerance = 1e-14

  public init(
    memory: Int = 10, maxIterations: Int = 500, gradientTolerance: Double = 1e-9, functionTolerance: Double = 1e-14
  ) {
    self.memory = memory
    self.maxIterations = maxIterations
    self.gradientTolerance = gradientTolerance
    self.functionTolerance = functionTolerance
  }

  /// Where the search ended.
  public struct Result: Sendable {
    public var x: [Double]
    public var value: Double
    public var iterations: Int
  }

  /// Minimises `f`, which returns the value and the gradient at a point, from `start`.
  public func minimize(_ start: [Double], _ f: ([Double]) -> (value: Double, gradient: [Double])) -> Result {
    var x = start
    var (value, gradient) = f(x)
    guard value.isFinite else { return Result(x: x, value: value, iterations: 0) }
    var steps: [[Double]] = []
    var changes: [[Double]] = []
    var rhos: [Double] = []
    var iteration = 0
    while iteration < maxIterations {
      iteration += 1
      if gradient.map(abs).max() ?? 0 < gradientTolerance { break }
      // Two-loop recursion: direction = −H·g.
      var q = gradient
      var alphas = [Double](repeating: 0, count: steps.count)
      for i in stride(from: steps.count - 1, through: 0, by: -1) {
        alphas[i] = rhos[i] * dot(steps[i], q)
        axpy(&q, -alphas[i], changes[i])
      }
      if let s = steps.last, let y = changes.last {
        let gamma = dot(s, y) / dot(y, y)
        for i in q.indices { q[i] *= gamma }
      } else {
        let norm = sqrt(dot(gradient, gradient))
        for i in q.indices { q[i] /= max(norm, 1) }
      }
      for i in steps.indices {
        let beta = rhos[i] * dot(changes[i], q)
        axpy(&q, alphas[i] - beta, steps[i])
      }
      var direction = q.map { -$0 }
      var slope = dot(direction, gradient)
      if !(slope < 0) {
        // Not a descent direction: fall back to steepest descent and forget the history.
        direction = gradient.map { -$0 }
        slope = -dot(gradient, gradient)
        steps.removeAll()
        changes.removeAll()
        rhos.removeAll()
      }
      var t = 1.0
      var accepted: (x: [Double], value: Double, gradient: [Double])?
      for _ in 0..<60 {
        var candidate = x
        axpy(&candidate, t, direction)
        let (v, g) = f(candidate)
        if v.isFinite && v <= value + 1e-4 * t * slope {
          accepted = (candidate, v, g)
          break
        }
        t *= 0.5
      }
      guard let next = accepted else { break }
      let s = zip(next.x, x).map { $0 - $1 }
      let y = zip(next.gradient, gradient).map { $0 - $1 }
      let sy = dot(s, y)
      let improvement = value - next.value
      x = next.x
      gradient = next.gradient
      let previous = value
      value = next.value
      if sy > 1e-12 * sqrt(dot(s, s) * dot(y, y)) {
        steps.append(s)
        changes.append(y)
        rhos.append(1 / sy)
        if steps.count > memory {
          steps.removeFirst()
          changes.removeFirst()
          rhos.removeFirst()
        }
      }
      if improvement <= functionTolerance * max(abs(previous), abs(value), 1e-300) { break }
    }
    return Result(x: x, value: value, iterations: iteration)
  }
}

@inline(__always) func dot(_ a: [Double], _ b: [Double]) -> Double {
  var total = 0.0
  for i in a.indices { total += a[i] * b[i] }
  return total
}

@inline(__always) func axpy(_ y: inout [Double], _ alpha: Double, _ x: [Double]) {
  for i in y.indices { y[i] += alpha * x[i] }
}
