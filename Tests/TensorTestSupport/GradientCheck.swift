import Foundation
import Testing
import WorkbenchTensor

/// Seeded test values: uniform in [lo, hi).
public struct TestRandom {
  var state: UInt64
  public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 1 }
  public mutating func next() -> Double {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Double(state >> 11) / Double(1 << 53)
  }
  public mutating func values(_ count: Int, _ lo: Double = -1, _ hi: Double = 1) -> [Double] {
    (0..<count).map { _ in lo + (hi - lo) * next() }
  }
}

/// Expects `actual` within `tolerance` of `expected` elementwise; on failure names the worst index.
public func expectClose(
  _ actual: [Float], _ expected: [Double], tolerance: Double, _ what: String,
  sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(
    actual.count == expected.count, "\(what): \(actual.count) values, expected \(expected.count)",
    sourceLocation: sourceLocation)
  var worst = (index: -1, diff: 0.0)
  for (i, (a, e)) in zip(actual, expected).enumerated() {
    let diff = abs(Double(a) - e)
    if !(diff <= worst.diff) { worst = (i, diff) }
  }
  #expect(
    worst.diff <= tolerance,
    "\(what): max abs diff \(worst.diff) at index \(worst.index) (got \(worst.index >= 0 ? Double(actual[worst.index]) : .nan), expected \(worst.index >= 0 ? expected[worst.index] : .nan)) > \(tolerance)",
    sourceLocation: sourceLocation)
}

/// One op under a finite-difference check: float inputs, a runtime forward, and a float64
/// reference forward with the same semantics.
public struct GradientCase: CustomTestStringConvertible, Sendable {
  public var name: String
  public var shapes: [[Int]]
  /// Per input: (lo, hi) of its uniform random values.
  public var ranges: [(Double, Double)]
  public var forward: @Sendable ([Tensor]) -> Tensor
  public var reference: @Sendable ([[Double]]) -> [Double]
  public var testDescription: String { name }

  public init(
    _ name: String, _ shapes: [[Int]], ranges: [(Double, Double)]? = nil,
    forward: @escaping @Sendable ([Tensor]) -> Tensor,
    reference: @escaping @Sendable ([[Double]]) -> [Double]
  ) {
    self.name = name
    self.shapes = shapes
    self.ranges = ranges ?? shapes.map { _ in (-1, 1) }
    self.forward = forward
    self.reference = reference
  }

  /// Checks the forward values against the reference, and the gradient of Σ R·f(x) (R random)
  /// against central differences of the float64 reference.
  public func check(on backend: any Backend, sourceLocation: SourceLocation = #_sourceLocation) {
    var random = TestRandom(seed: UInt64(truncatingIfNeeded: name.hashValue & 0xffff) + 7)
    let inputs = zip(shapes, ranges).map { shape, range in random.values(shape.reduce(1, *), range.0, range.1) }
    let tensors = zip(inputs, shapes).map { Tensor($0.map { Float($0) }, shape: $1, on: backend).requiringGrad() }
    let tape = Tape()
    let output = tape.record { forward(tensors) }
    let expected = reference(inputs.map { $0.map { Double(Float($0)) } })
    expectClose(
      output.toArray(), expected, tolerance: 1e-4 * max(1, expected.map(abs).max() ?? 1), "\(name) forward",
      sourceLocation: sourceLocation)
    let weights = random.values(output.count)
    let loss = tape.record { (output * Tensor(weights.map { Float($0) }, shape: output.shape, on: backend)).sum() }
    tape.backward(loss)
    for (i, tensor) in tensors.enumerated() {
      var numeric = [Double](repeating: 0, count: inputs[i].count)
      var point = inputs.map { $0.map { Double(Float($0)) } }
      for j in numeric.indices {
        let x = point[i][j]
        let h = 1e-6 * max(1, abs(x))
        point[i][j] = x + h
        let up = zip(reference(point), weights).reduce(0) { $0 + $1.0 * $1.1 }
        point[i][j] = x - h
        let down = zip(reference(point), weights).reduce(0) { $0 + $1.0 * $1.1 }
        point[i][j] = x
        numeric[j] = (up - down) / (2 * h)
      }
      let scale = max(1e-3, numeric.map(abs).max() ?? 0)
      let analytic = tensor.grad?.toArray() ?? [Float](repeating: 0, count: numeric.count)
      expectClose(analytic, numeric, tolerance: 2e-4 * scale, "\(name) ∂/∂input\(i)", sourceLocation: sourceLocation)
    }
  }
}
