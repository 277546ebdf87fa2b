import Foundation

/// One point of a metric curve as the server draws and serves it.
public struct CurvePoint: Sendable, Equatable, Encodable {
  public var step: Int64
  public var value: Double
  public var tokens: Int64?
  public var flops: Double?

  public init(step: Int64, value: Double, tokens: Int64? = nil, flops: Double? = nil) {
    self.step = step
    self.value = value
    self.tokens = tokens
    self.flops = flops
  }
}

/// Thinning of long curves for drawing: the step range is cut into buckets evenly spaced in
/// log(step + 1) (curves are drawn on log axes) and each bucket keeps its lowest and highest value,
/// in step order. The first and last points are always kept, so a curve keeps its endpoints, its
/// minimum and its spikes.
public enum Downsample {
  /// At most `2 · buckets + 2` points of `points` (sorted by step); all of them when that is no fewer.
  public static func curve(_ points: [CurvePoint], buckets: Int) -> [CurvePoint] {
    let buckets = max(1, buckets)
    guard points.count > 2 * buckets + 2, let first = points.first, let last = points.last else { return points }
    let x0 = log(Double(max(first.step, 0)) + 1)
    let x1 = log(Double(max(last.step, 0)) + 1)
    let span = x1 - x0
    var kept: [CurvePoint] = [first]
    var low = -1
    var high = -1
    var current = -1
    func flush() {
      guard low >= 0 else { return }
      for index in Set([low, high]).sorted() where index != 0 && index != points.count - 1 {
        kept.append(points[index])
      }
    }
    for index in 1..<(points.count - 1) {
      let x = log(Double(max(points[index].step, 0)) + 1)
      let bucket = span > 0 ? min(buckets - 1, Int((x - x0) / span * Double(buckets))) : index * buckets / points.count
      if bucket != current {
        flush()
        current = bucket
        low = index
        high = index
      } else {
        if points[index].value < points[low].value { low = index }
        if points[index].value > points[high].value { high = index }
      }
    }
    flush()
    kept.append(last)
    return kept
  }
}
