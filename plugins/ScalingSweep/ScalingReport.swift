import Foundation
import WorkbenchFit
import WorkbenchKit

/// `report.html`: the sweep's plots as inline SVG (no scripts, no network), readable in any browser.
struct ScalingReport {
  let runs: [FinishedRun<ScalingSweepConfig>]
  let curves: [ScalingAnalysis.CurvePoint]
  let finals: [ScalingPoint]
  let fits: [String: ScalingFit]
  let frontier: [OptimalPoint]

  func write(to url: URL) throws {
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
          label: String(format: "N = %.3g", Double(run.record.N ?? 0)), color: color(Double(run.record.N ?? 0)),
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
        "<tr><td>\(label)</td><td>\(fit.form.description.escaped)</td><td>\(parameters)</td><td>\(String(format: "%.4f", fit.r2))</td><td>\(fit.pointCount)</td></tr>\n"
    }
    let html = """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><title>Scaling laws</title>
      <style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}svg{background:#fff;margin:0.5em;border:1px solid #ddd}
      table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}</style></head>
      <body><h1>Scaling laws measured by workbench</h1>
      <p>\(runs.count) runs, model sizes \(String(format: "%.3g", sizes.first ?? 0)) to \(String(format: "%.3g", sizes.last ?? 0)) non-embedding parameters. Fits: sum of Huber (δ = 10⁻³) of log-loss residuals, L-BFGS from a grid of starts, 95% bootstrap intervals.</p>
      <table><tr><th>law</th><th>form</th><th>parameters</th><th>R²</th><th>points</th></tr>
      \(rows)</table>
      \(plots.joined(separator: "\n"))
      </body></html>
      """
    try RunContext.writeAtomically(Data(html.utf8), to: url)
  }

  /// 60 points of `f` between lo and hi, log-spaced.
  func curve(_ lo: Double, _ hi: Double, _ f: (Double) -> Double) -> [(Double, Double)] {
    (0..<60).map { i in
      let x = exp(log(lo) + (log(hi) - log(lo)) * Double(i) / 59)
      return (x, f(x))
    }
  }
}

/// A small SVG line/marker plot with log or linear axes and labelled ticks.
struct SVGPlot {
  struct Series {
    var label: String
    var color: String
    var points: [(Double, Double)]
    var line = false
    var markers = false
    var dashed = false
  }

  var title: String
  var xLabel: String
  var yLabel: String
  var logX = true
  var logY = true
  var series: [Series] = []

  init(title: String, xLabel: String, yLabel: String, logX: Bool = true, logY: Bool = true) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logX = logX
    self.logY = logY
  }

  func render(width: Double = 660, height: Double = 440) -> String {
    let all = series.flatMap(\.points).filter {
      $0.0.isFinite && $0.1.isFinite && (!logX || $0.0 > 0) && (!logY || $0.1 > 0)
    }
    guard !all.isEmpty else { return "" }
    let (left, right, top, bottom) = (70.0, 170.0, 40.0, 55.0)
    func tx(_ v: Double) -> Double { logX ? log10(v) : v }
    func ty(_ v: Double) -> Double { logY ? log10(v) : v }
    var (x0, x1) = (all.map { tx($0.0) }.min()!, all.map { tx($0.0) }.max()!)
    var (y0, y1) = (all.map { ty($0.1) }.min()!, all.map { ty($0.1) }.max()!)
    if x1 - x0 < 1e-9 { (x0, x1) = (x0 - 0.5, x1 + 0.5) }
    if y1 - y0 < 1e-9 { (y0, y1) = (y0 - 0.5, y1 + 0.5) }
    let (padX, padY) = ((x1 - x0) * 0.04, (y1 - y0) * 0.06)
    (x0, x1, y0, y1) = (x0 - padX, x1 + padX, y0 - padY, y1 + padY)
    let plotW = width - left - right
    let plotH = height - top - bottom
    func px(_ v: Double) -> Double { left + (tx(v) - x0) / (x1 - x0) * plotW }
    func py(_ v: Double) -> Double { top + plotH - (ty(v) - y0) / (y1 - y0) * plotH }
    var svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">"
    svg +=
      "<text x=\"\(width / 2 - right / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(title.escaped)</text>"
    svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333\"/>"
    for tick in Self.ticks(x0, x1, log: logX) {
      let x = left + (tick.position - x0) / (x1 - x0) * plotW
      svg += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(top + plotH)\" stroke=\"#eee\"/>"
      svg += "<text x=\"\(x)\" y=\"\(top + plotH + 16)\" text-anchor=\"middle\">\(tick.label)</text>"
    }
    for tick in Self.ticks(y0, y1, log: logY) {
      let y = top + plotH - (tick.position - y0) / (y1 - y0) * plotH
      svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotW)\" y2=\"\(y)\" stroke=\"#eee\"/>"
      svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(tick.label)</text>"
    }
    svg +=
      "<text x=\"\(left + plotW / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(xLabel.escaped)\(logX ? " (log scale)" : "")</text>"
    svg +=
      "<text transform=\"translate(16 \(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">\(yLabel.escaped)\(logY ? " (log scale)" : "")</text>"
    for (i, s) in series.enumerated() {
      let points = s.points.filter { $0.0.isFinite && $0.1.isFinite && (!logX || $0.0 > 0) && (!logY || $0.1 > 0) }
      if s.line && points.count > 1 {
        let path = points.map { String(format: "%.1f,%.1f", px($0.0), py($0.1)) }.joined(separator: " ")
        svg +=
          "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.6\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(path)\"/>"
      }
      if s.markers {
        for p in points {
          svg += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", px(p.0), py(p.1), s.color)
        }
      }
      if i < 18 {
        let y = top + 14 + Double(i) * 16
        svg +=
          "<line x1=\"\(left + plotW + 10)\" y1=\"\(y - 4)\" x2=\"\(left + plotW + 28)\" y2=\"\(y - 4)\" stroke=\"\(s.color)\" stroke-width=\"3\"/>"
        svg += "<text x=\"\(left + plotW + 32)\" y=\"\(y)\">\(s.label.escaped)</text>"
      }
    }
    return svg + "</svg>"
  }

  /// Tick positions (in axis units) and labels: powers of ten, or 1-2-5 steps when the range is narrow.
  static func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [(position: Double, label: String)] {
    if log {
      if hi - lo >= 1.5 {
        return (Int(ceil(lo))...Int(floor(hi))).map { (Double($0), "1e\($0)") }
      }
      for multipliers in [[1.0, 1.5, 2, 3, 4, 5, 6, 8], [1.0, 2, 5], [1.0]] {
        var ticks: [(Double, String)] = []
        for k in Int(floor(lo)) - 1...Int(ceil(hi)) {
          for m in multipliers {
            let value = m * pow(10, Double(k))
            let position = log10(value)
            if position >= lo && position <= hi { ticks.append((position, String(format: "%g", value))) }
          }
        }
        if ticks.count <= 7 || multipliers.count == 1 { return ticks }
      }
      return []
    }
    let span = hi - lo
    let step = pow(10, floor(log10(span / 5)))
    let nice = [1.0, 2, 5, 10].map { $0 * step }.first { span / $0 <= 6 } ?? step * 10
    return stride(from: ceil(lo / nice) * nice, through: hi, by: nice).map { value in
      (value, String(format: "%g", abs(value) < nice * 1e-6 ? 0 : value))
    }
  }

  /// A colour of the viridis scale at t ∈ [0, 1].
  static func viridis(_ t: Double) -> String {
    let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
    let x = min(max(t, 0), 1) * Double(stops.count - 1)
    let i = min(Int(x), stops.count - 2)
    let f = x - Double(i)
    let (a, b) = (stops[i], stops[i + 1])
    return String(
      format: "#%02x%02x%02x", Int(a.0 + (b.0 - a.0) * f), Int(a.1 + (b.1 - a.1) * f), Int(a.2 + (b.2 - a.2) * f))
  }
}

extension String {
  var escaped: String {
    replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(
      of: ">", with: "&gt;")
  }
}
