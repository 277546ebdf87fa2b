import WorkbenchKit

/// What the suite's and SNI's reports draw alike: a score against the number of instructions (or
/// tasks) tuned on, one line per model, the heuristic baselines as dashed lines across.
extension SVGPlot {
  /// Model `index` of `count`, along viridis.
  static func modelColor(_ index: Int, of count: Int) -> String {
    viridis(count > 1 ? Double(index) / Double(count - 1) * 0.85 : 0.3)
  }

  /// A dashed horizontal line at the mean of each baseline's values, from `low` to `high` on x.
  mutating func addBaselines(_ baselines: [(name: String, values: [Double])], from low: Int, to high: Int) {
    let colors = ["#888", "#c44", "#4a4", "#a4c"]
    for (j, baseline) in baselines.enumerated() where !baseline.values.isEmpty {
      let level = mean(baseline.values)
      series.append(
        .init(
          label: baseline.name, color: colors[j % colors.count], points: [(Double(low), level), (Double(high), level)],
          line: true, dashed: true))
    }
  }
}
