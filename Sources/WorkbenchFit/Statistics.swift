/// The 97.5% quantile of Student's t distribution with `df` degrees of freedom: the half-width
/// factor of a two-sided 95% interval.
public func studentT975(_ df: Int) -> Double {
  let table: [Double] = [
    .infinity, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
    2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
  ]
  if df < table.count { return table[max(df, 0)] }
  return 1.96 + 2.4 / Double(df)  // within 0.002 of the exact value beyond 30 degrees of freedom
}

/// Mean and the half-width of its 95% t interval (nil with fewer than two values).
public func meanInterval(_ values: [Double]) -> (mean: Double, halfWidth: Double?) {
  let n = Double(values.count)
  let mean = values.reduce(0, +) / max(n, 1)
  guard values.count >= 2 else { return (mean, nil) }
  let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
  return (mean, studentT975(values.count - 1) * (variance / n).squareRoot())
}

/// The median (the mean of the middle two for an even count).
public func median(_ values: [Double]) -> Double {
  let sorted = values.sorted()
  guard !sorted.isEmpty else { return .nan }
  let m = sorted.count / 2
  return sorted.count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2
}

/// Spearman's rank correlation (average ranks for ties); nil when either side is constant.
public func spearmanCorrelation(_ a: [Double], _ b: [Double]) -> Double? {
  precondition(a.count == b.count)
  func ranks(_ x: [Double]) -> [Double] {
    let order = x.indices.sorted { x[$0] < x[$1] }
    var r = [Double](repeating: 0, count: x.count)
    var i = 0
    while i < order.count {
      var j = i
      while j + 1 < order.count && x[order[j + 1]] == x[order[i]] { j += 1 }
      for k in i...j { r[order[k]] = Double(i + j) / 2 + 1 }
      i = j + 1
    }
    return r
  }
  let (ra, rb) = (ranks(a), ranks(b))
  let n = Double(a.count)
  let (ma, mb) = (ra.reduce(0, +) / n, rb.reduce(0, +) / n)
  let cov = zip(ra, rb).map { ($0 - ma) * ($1 - mb) }.reduce(0, +)
  let va = ra.map { ($0 - ma) * ($0 - ma) }.reduce(0, +)
  let vb = rb.map { ($0 - mb) * ($0 - mb) }.reduce(0, +)
  guard va > 0, vb > 0 else { return nil }
  return cov / (va * vb).squareRoot()
}
