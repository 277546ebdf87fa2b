import Foundation
import WorkbenchFiles
import WorkbenchFit
import WorkbenchKit

/// The body of `report.html`: the sweep's plots as inline SVG (no scripts, no network), readable in any browser.
struct ScalingReport {
  let runs: [FinishedRun<ScalingSweepConfig>]
  let curves: [ScalingAnalysis.CurvePoint]
  let finals: [ScalingPoint]
  let fits: [String: ScalingFit]
  let frontier: [OptimalPoint]

  /// The report page's body.
  func body() -> String {
    let sizes = Set(finals.map(\.N)).sorted()
    func color(_ N: Double) -> String {
      SVGPlot.viridis(sizes.count > 1 ? Double(sizes.firstIndex(of: N) ?? 0) / Double(sizes.count - 1) : 0)
    }
    var plots: [String] = []

    var compute = SVGPlot(
      title: "Loss vs compute (Kaplan et al. 2020, Fig. 1 left)", xLabel: "training compute C (FLOPs)",
      yLabel: "validation loss (nats/token)")
    for (index, run) in runs.enumerated() {
      let points = curves.filter { $0.run == index }.map { ($0.point.C, $0.point.loss) }
      compute.series.append(
        .init(
          label: String(format: "N = %.3g", Double(run.summary.N ?? 0)), color: color(Double(run.summary.N ?? 0)),
          points: points, line: true))
    }
    compute.series.append(
      .init(label: "frontier", color: "#000", points: frontier.map { ($0.C, $0.loss) }, markers: true))
    if let fit = fits["L(C)"], let lo = frontier.map(\.C).min(), let hi = frontier.map(\.C).max() {
      compute.series.append(
        .init(
          label: "fitted L(C)", color: "#d62728", points: curve(lo, hi) { fit.predict(ScalingPoint(C: $0, loss: 1)) },
          line: true, dashed: true))
    }
    plots.append(compute.render())

    var sizePlot = SVGPlot(
      title: "L(N): final loss vs model size", xLabel: "non-embedding parameters N", yLabel: "final validation loss")
    sizePlot.series.append(
      .init(label: "runs", color: "#1f77b4", points: finals.map { ($0.N, $0.loss) }, markers: true))
    if let fit = fits["L(N)"], let lo = sizes.first, let hi = sizes.last {
      sizePlot.series.append(
        .init(
          label: "fitted L(N)", color: "#d62728", points: curve(lo, hi) { fit.predict(ScalingPoint(N: $0, loss: 1)) },
          line: true, dashed: true))
    }
    plots.append(sizePlot.render())

    if let largest = sizes.last {
      var dataPlot = SVGPlot(
        title: String(format: "L(D): learning curve of the largest model (N = %.3g)", largest),
        xLabel: "training tokens D", yLabel: "validation loss")
      let points = curves.filter { $0.point.N == largest }.map { ($0.point.D, $0.point.loss) }
      dataPlot.series.append(.init(label: "validation", color: color(largest), points: points, markers: true))
      if let fit = fits["L(D)"], let lo = points.map(\.0).min(), let hi = points.map(\.0).max() {
        dataPlot.series.append(
          .init(
            label: "fitted L(D)", color: "#d62728", points: curve(lo, hi) { fit.predict(ScalingPoint(D: $0, loss: 1)) },
            line: true, dashed: true))
      }
      plots.append(dataPlot.render())
    }

    let budgets = Dictionary(grouping: runs.indices.filter { runs[$0].config.budget.compute != nil }) {
      runs[$0].config.budget.compute!
    }
    if budgets.count >= 1 {
      var iso = SVGPlot(
        title: "IsoFLOP profiles: final loss vs N at fixed compute", xLabel: "non-embedding parameters N",
        yLabel: "final validation loss")
      for (i, (C, members)) in budgets.sorted(by: { $0.key < $1.key }).enumerated() {
        let points = members.map { (finals[$0].N, finals[$0].loss) }.sorted { $0.0 < $1.0 }
        iso.series.append(
          .init(
            label: String(format: "C = %.2g", C), color: SVGPlot.viridis(Double(i) / Double(max(1, budgets.count - 1))),
            points: points, line: true, markers: true))
      }
      plots.append(iso.render())
    }

    if let fit = fits["Chinchilla"] {
      var residuals = SVGPlot(
        title: "Residuals of the Chinchilla-form fit", xLabel: "training compute C (FLOPs)", yLabel: "ln L − ln L̂",
        logY: false)
      let points = zip(curves, fit.residuals).map { ($0.point.C, $1) }
      residuals.series.append(.init(label: "learning-curve points", color: "#1f77b4", points: points, markers: true))
      plots.append(residuals.render())
    }

    var rows = ""
    for (label, fit) in fits.sorted(by: { $0.key < $1.key }) {
      let parameters = zip(fit.form.parameterNames, fit.parameters).map { name, value -> String in
        let interval = fit.intervals[name].map { String(format: " [%.4g, %.4g]", $0[0], $0[1]) } ?? ""
        return "\(name) = \(String(format: "%.4g", value))\(interval)"
      }.joined(separator: "<br>")
      rows +=
        "<tr><td>\(label)</td><td>\(fit.form.description.htmlEscaped)</td><td>\(parameters)</td><td>\(String(format: "%.4f", fit.r2))</td><td>\(fit.pointCount)</td></tr>\n"
    }
    return """
      <h1>Scaling laws measured by workbench</h1>
      <p>\(runs.count) runs, model sizes \(String(format: "%.3g", sizes.first ?? 0)) to \(String(format: "%.3g", sizes.last ?? 0)) non-embedding parameters. Fits: sum of Huber (δ = 10⁻³) of log-loss residuals, L-BFGS from a grid of starts, 95% bootstrap intervals.</p>
      <table><tr><th>law</th><th>form</th><th>parameters</th><th>R²</th><th>points</th></tr>
      \(rows)</table>
      \(plots.joined(separator: "\n"))
      """
  }

  /// 60 points of `f` between lo and hi, log-spaced.
  func curve(_ lo: Double, _ hi: Double, _ f: (Double) -> Double) -> [(Double, Double)] {
    (0..<60).map { i in
      let x = exp(log(lo) + (log(hi) - log(lo)) * Double(i) / 59)
      return (x, f(x))
    }
  }
}
