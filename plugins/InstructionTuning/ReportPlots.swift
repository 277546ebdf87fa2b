import WorkbenchKit

/// What the suite's and SNI's reports draw alike: a score against the number of instructions (or
/// tasks) tuned on, one line per model, the heuristic baselines as dashed lines across.
extension SVGPlot {
  /// Model `index` of `count`, along viridis.
  static func modelColor(_ index: Int, of count: Int) -> String {
    viridis(count > 1 ? Double(index) / Double(count - 1) * 0.85 : 0.3)
  }

  /// A score against a count of instructions or tasks on a log axis, rendered: per model a line
  /// through `average` of its runs at each count ≥ 1, coloured by the model's place in `models`; with
  /// `run`, each run's own value as a marker; each baseline a dashed level (its mean) across the
  /// counts.
  static func againstCount<Point>(
    title: String, xLabel: String, yLabel: String, _ points: [Point], models: [String],
    model: (Point) -> String, count: (Point) -> Int, average: ([Point]) -> Double?, run: ((Point) -> Double?)? = nil,
    baselines: [(name: String, values: [Double])]
  ) -> String {
    var plot = SVGPlot(title: title, xLabel: xLabel, yLabel: yLabel, logX: true, logY: false)
    for (i, name) in models.enumerated() {
      let color = modelColor(i, of: models.count)
      let group = points.filter { model($0) == name && count($0) >= 1 }
      let means = Set(group.map(count)).sorted().compactMap { n in
        average(group.filter { count($0) == n }).map { (Double(n), $0) }
      }
      plot.series.append(.init(label: name, color: color, points: means, line: true, markers: true))
      if let run {
        let values = group.compactMap { p in run(p).map { (Double(count(p)), $0) } }
        plot.series.append(.init(label: "\(name) runs", color: color, points: values, markers: true))
      }
    }
    let counts = points.map(count)
    if let low = counts.filter({ $0 >= 1 }).min(), let high = counts.max() {
      let colors = ["#888", "#c44", "#4a4", "#a4c"]
      for (j, baseline) in baselines.enumerated() where !baseline.values.isEmpty {
        let level = mean(baseline.values)
        plot.series.append(
          .init(
            label: baseline.name, color: colors[j % colors.count],
            points: [(Double(low), level), (Double(high), level)],
            line: true, dashed: true))
      }
    }
    return plot.render()
  }
}
