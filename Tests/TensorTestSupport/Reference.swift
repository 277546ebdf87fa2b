import Foundation

/// Float64 reference implementations of the runtime's ops, written for clarity, not speed.
public enum Reference {
  public static func strides(_ shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    for i in stride(from: shape.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * shape[i + 1] }
    return s
  }

  /// Index of `flat` (over `shape`) in an operand of `operand` shape broadcast to it.
  public static func broadcastIndex(_ flat: Int, _ shape: [Int], _ operand: [Int]) -> Int {
    let lead = shape.count - operand.count
    var rest = flat
    var index = 0
    let os = strides(operand)
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
      let i = rest % shape[axis]
      rest /= shape[axis]
      if axis >= lead && operand[axis - lead] != 1 { index += i * os[axis - lead] }
    }
    return index
  }

  public static func binary(_ a: [Double], _ sa: [Int], _ b: [Double], _ sb: [Int], _ f: (Double, Double) -> Double)
    -> [Double]
  {
    let rank = max(sa.count, sb.count)
    let pa = [Int](repeating: 1, count: rank - sa.count) + sa
    let pb = [Int](repeating: 1, count: rank - sb.count) + sb
    let shape = zip(pa, pb).map { max($0, $1) }
    let n = shape.reduce(1, *)
    return (0..<n).map { f(a[broadcastIndex($0, shape, sa)], b[broadcastIndex($0, shape, sb)]) }
  }

  /// Batched C = op(A)·op(B), B possibly 2-D and shared.
  public static func matmul(
    _ a: [Double], _ sa: [Int], _ b: [Double], _ sb: [Int], transposeA: Bool, transposeB: Bool
  ) -> [Double] {
    let m = transposeA ? sa[sa.count - 1] : sa[sa.count - 2]
    let k = transposeA ? sa[sa.count - 2] : sa[sa.count - 1]
    let n = transposeB ? sb[sb.count - 2] : sb[sb.count - 1]
    let batch = sa.dropLast(2).reduce(1, *)
    let sharedB = sb.count == 2
    var c = [Double](repeating: 0, count: batch * m * n)
    for p in 0..<batch {
      for i in 0..<m {
        for j in 0..<n {
          var total = 0.0
          for q in 0..<k {
            let av = a[p * m * k + (transposeA ? q * m + i : i * k + q)]
            let bBase = sharedB ? 0 : p * k * n
            let bv = b[bBase + (transposeB ? j * k + q : q * n + j)]
            total += av * bv
          }
          c[(p * m + i) * n + j] = total
        }
      }
    }
    return c
  }

  public static func sum(_ x: [Double], _ shape: [Int], axis: Int, scale: Double = 1) -> [Double] {
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    var y = [Double](repeating: 0, count: outer * inner)
    for o in 0..<outer {
      for a in 0..<shape[axis] {
        for i in 0..<inner { y[o * inner + i] += x[(o * shape[axis] + a) * inner + i] * scale }
      }
    }
    return y
  }

  public static func permute(_ x: [Double], _ shape: [Int], _ order: [Int]) -> [Double] {
    let outShape = order.map { shape[$0] }
    let xs = strides(shape)
    let n = x.count
    return (0..<n).map { flat in
      var rest = flat
      var index = 0
      for axis in stride(from: outShape.count - 1, through: 0, by: -1) {
        let i = rest % outShape[axis]
        rest /= outShape[axis]
        index += i * xs[order[axis]]
      }
      return x[index]
    }
  }

  public static func slice(_ x: [Double], _ shape: [Int], axis: Int, _ range: Range<Int>) -> [Double] {
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    var y: [Double] = []
    for o in 0..<outer {
      for a in range { for i in 0..<inner { y.append(x[(o * shape[axis] + a) * inner + i]) } }
    }
    return y
  }

  public static func layerNorm(_ x: [Double], _ w: [Double], _ b: [Double], columns: Int, eps: Double = 1e-5)
    -> [Double]
  {
    var y = x
    for r in 0..<(x.count / columns) {
      let row = x[(r * columns)..<((r + 1) * columns)]
      let mean = row.reduce(0, +) / Double(columns)
      let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(columns)
      for c in 0..<columns {
        y[r * columns + c] = (x[r * columns + c] - mean) / (variance + eps).squareRoot() * w[c] + b[c]
      }
    }
    return y
  }

  public static func attention(_ qkv: [Double], batch: Int, time: Int, channels: Int, heads: Int) -> [Double] {
    let hs = channels / heads
    let scale = 1 / Double(hs).squareRoot()
    var out = [Double](repeating: 0, count: batch * time * channels)
    func at(_ b: Int, _ t: Int, _ part: Int, _ h: Int, _ i: Int) -> Double {
      qkv[(b * time + t) * 3 * channels + part * channels + h * hs + i]
    }
    for b in 0..<batch {
      for h in 0..<heads {
        for t in 0..<time {
          let scores = (0...t).map { s in (0..<hs).reduce(0.0) { $0 + at(b, t, 0, h, $1) * at(b, s, 1, h, $1) } * scale
          }
          let top = scores.max()!
          let weights = scores.map { exp($0 - top) }
          let total = weights.reduce(0, +)
          for i in 0..<hs {
            out[(b * time + t) * channels + h * hs + i] = (0...t).reduce(0.0) {
              $0 + weights[$1] / total * at(b, $1, 2, h, i)
            }
          }
        }
      }
    }
    return out
  }

  public static func crossEntropy(_ logits: [Double], vocabulary: Int, targets: [Int], normalizer: Int) -> Double {
    var total = 0.0
    for (r, target) in targets.enumerated() where target >= 0 {
      let row = logits[(r * vocabulary)..<((r + 1) * vocabulary)]
      let top = row.max()!
      let lse = top + log(row.map { exp($0 - top) }.reduce(0, +))
      total += lse - logits[r * vocabulary + target]
    }
    return total / Double(normalizer)
  }

  public static func gelu(_ x: Double) -> Double {
    0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
  }
}
