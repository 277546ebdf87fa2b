import Foundation
import WorkbenchKit
import WorkbenchRunLog

/// The SVG figures of the pages: learning curves, stored fits over their data, and spreads of
/// scores across prompt variants. Everything is drawn from the log alone; nothing is refitted.
enum Figures {
  /// Points a plot of many runs may draw in all; each run gets an equal share (at least 10).
  static let pointBudget = 8_000

  /// Colours of runs: by model size N where the runs have one, else by position.
  static func colors(_ runs: [RunRecord]) -> [Int64: String] {
    let sizes = Set(runs.compactMap(\.N)).sorted()
    var colors: [Int64: String] = [:]
    for (index, run) in runs.enumerated() {
      let t: Double
      if let N = run.N, sizes.count > 1 {
        t = Double(sizes.firstIndex(of: N)!) / Double(sizes.count - 1)
      } else {
        t = runs.count > 1 ? Double(index) / Double(runs.count - 1) : 0
      }
      colors[run.id!] = SVGPlot.viridis(t * 0.9)
    }
    return colors
  }

  static func label(_ run: RunRecord) -> String {
    var parts = [String(run.key.prefix(8))]
    if !run.label.isEmpty { parts.append(run.label) }
    return parts.joined(separator: " ")
  }

  /// One metric of several runs on shared axes: x is training tokens where the metric records them
  /// (log scale), else the step.
  static func curves(
    metric: String, runs: [RunRecord], curves: [Int64: [String: [CurvePoint]]], title: String? = nil
  ) -> String {
    let present = runs.filter { !(curves[$0.id!]?[metric]?.isEmpty ?? true) }
    guard !present.isEmpty else { return "" }
    let byTokens = present.allSatisfy { run in curves[run.id!]![metric]!.allSatisfy { $0.tokens != nil } }
    let all = present.flatMap { curves[$0.id!]![metric]! }
    let logY = all.allSatisfy { $0.value > 0 }
    let logX = byTokens || all.allSatisfy { $0.step > 0 }
    var plot = SVGPlot(
      title: title ?? metric, xLabel: byTokens ? "training tokens" : "step", yLabel: metric, logX: logX, logY: logY)
    plot.legendLimit = 12
    let colors = colors(present)
    let buckets = max(4, pointBudget / present.count / 2)
    for run in present {
      let points = Downsample.curve(curves[run.id!]![metric]!, buckets: buckets).map {
        (byTokens ? Double($0.tokens!) : Double($0.step), $0.value)
      }
      plot.series.append(
        .init(
          label: label(run), color: colors[run.id!]!, points: points, line: true, markers: points.count == 1,
          cssClass: "curve"))
    }
    return plot.render(width: 620, height: 400)
  }

  /// A stored fit drawn over the points it was made from, with the band its parameter intervals
  /// span and the curve extended a decade past the data (dashed: extrapolation). Forms workbench
  /// does not know how to draw give nil; the fits table still lists them.
  static func fit(
    _ fit: FitRecord, runs: [RunRecord], curves: [Int64: [String: [CurvePoint]]],
    flatConfig: (RunRecord) -> [String: JSONValue]
  ) -> String? {
    let parameters = decode(fit.parameters)
    let intervals = fit.intervals.map(decodeIntervals) ?? [:]
    let options = fit.options.map(decodeStrings) ?? [:]
    let law = options["law"].map { "\($0): " } ?? ""
    let title = "\(law)\(fit.form)"
    func finalLoss(_ run: RunRecord) -> Double? { run.finalValLoss ?? run.finalTrainLoss }
    if let variable = ["N", "D", "C"].first(where: { fit.form.hasPrefix("L(\($0)) =") }) {
      guard let model = OneVariableLaw(form: fit.form, parameters: parameters) else { return nil }
      var data: [(Double, Double)] = []
      switch variable {
      case "N":
        data = runs.compactMap { run in run.N.flatMap { N in finalLoss(run).map { (Double(N), $0) } } }
      default:
        let buckets = max(4, pointBudget / max(1, runs.count) / 2)
        for run in runs {
          for point in Downsample.curve(curves[run.id!]?[MetricName.valLoss.name] ?? [], buckets: buckets) {
            let x = variable == "D" ? point.tokens.map(Double.init) : point.flops
            if let x, x > 0 { data.append((x, point.value)) }
          }
        }
      }
      guard let lo = data.map(\.0).min(), let hi = data.map(\.0).max(), lo > 0 else { return nil }
      var plot = SVGPlot(
        title: title,
        xLabel: ["N": "non-embedding parameters N", "D": "training tokens D", "C": "training FLOPs C"][
          variable]!, yLabel: variable == "N" ? "final loss" : "validation loss")
      plot.series.append(
        .init(label: "data (\(data.count))", color: "#1f77b4", points: data, markers: true, cssClass: "data"))
      if let band = model.band(intervals: intervals, lo: lo, hi: hi * 10) {
        plot.series.append(
          .init(label: "95% parameter intervals", color: "#d62728", points: band, band: true, cssClass: "band"))
      }
      plot.series.append(
        .init(label: "fit", color: "#d62728", points: logSpaced(lo, hi) { model($0) }, line: true, cssClass: "fit"))
      plot.series.append(
        .init(
          label: "extrapolation ×10", color: "#d62728", points: logSpaced(hi, hi * 10) { model($0) }, line: true,
          dashed: true, cssClass: "fit extrapolation"))
      return plot.render(width: 620, height: 400)
    }
    if fit.form.hasPrefix("L(N,D) = E + A/N^alpha + B/D^beta") {
      return isoFLOP(fit, title: title, parameters: parameters, runs: runs)
    }
    // Instruction tuning: a score against log2 of the instructions (the suite) or of the
    // training tasks (Super-NaturalInstructions), both the config's `instructions`.
    let sni = fit.form == "rougeL = a + b·log2(K)"
    if fit.form == "exact_match = a + b·log2(I)" || sni, let a = parameters["a"], let b = parameters["b"] {
      let tier = sni ? "unseen test tasks" : options["tier"] ?? "score"
      let metric = sni ? "sni.rougeL" : "score.\(tier).exact_match"
      let data: [(Double, Double)] = runs.compactMap { run in
        guard case .integer(let I)? = flatConfig(run)["instructions"], I > 0,
          let value = curves[run.id!]?[metric]?.last?.value
        else { return nil }
        return (Double(I), value)
      }
      guard let lo = data.map(\.0).min(), let hi = data.map(\.0).max() else { return nil }
      var plot = SVGPlot(
        title: "\(options["model"] ?? "") \(tier): \(fit.form)",
        xLabel: sni ? "training tasks K" : "distinct tuning instructions I",
        yLabel: sni ? "ROUGE-L ×100" : "exact match ×100",
        logX: true, logY: false)
      plot.series.append(.init(label: "runs", color: "#1f77b4", points: data, markers: true, cssClass: "data"))
      if let slope = intervals["b"], slope.count == 2 {
        // The slope's interval, pivoting on the fitted value at the data's mean log2 I.
        let centre = data.map { log2($0.0) }.reduce(0, +) / Double(data.count)
        let y0 = a + b * centre
        let upper = logSpaced(lo, hi * 2) { x in
          max(y0 + slope[0] * (log2(x) - centre), y0 + slope[1] * (log2(x) - centre))
        }
        let lower = logSpaced(lo, hi * 2) { x in
          min(y0 + slope[0] * (log2(x) - centre), y0 + slope[1] * (log2(x) - centre))
        }
        plot.series.append(
          .init(
            label: "95% slope interval", color: "#d62728", points: upper + lower.reversed(), band: true,
            cssClass: "band"))
      }
      plot.series.append(
        .init(
          label: "fit", color: "#d62728", points: logSpaced(lo, hi) { a + b * log2($0) }, line: true, cssClass: "fit"))
      plot.series.append(
        .init(
          label: "extrapolation ×2", color: "#d62728", points: logSpaced(hi, hi * 2) { a + b * log2($0) }, line: true,
          dashed: true, cssClass: "fit extrapolation"))
      return plot.render(width: 620, height: 400)
    }
    return nil
  }

  /// The Chinchilla form at each compute budget of its runs: final loss against N, and the fitted
  /// L(N, C/6N) through them.
  static func isoFLOP(_ fit: FitRecord, title: String, parameters: [String: Double], runs: [RunRecord]) -> String? {
    guard let E = parameters["E"], let A = parameters["A"], let B = parameters["B"], let alpha = parameters["alpha"],
      let beta = parameters["beta"]
    else { return nil }
    func law(_ N: Double, _ D: Double) -> Double { E + A / pow(N, alpha) + B / pow(D, beta) }
    let finals = runs.compactMap { run -> (N: Double, C: Double, loss: Double)? in
      guard let N = run.N, let C = run.C, let loss = run.finalValLoss ?? run.finalTrainLoss, C > 0 else { return nil }
      return (Double(N), C, loss)
    }
    // Budgets to two significant digits: an IsoFLOP sweep's runs share one each.
    let groups = Dictionary(grouping: finals) { $0.C.significant(2) }
      .filter { $0.value.count >= 2 }
    var plot = SVGPlot(title: "IsoFLOP profiles — \(title)", xLabel: "non-embedding parameters N", yLabel: "final loss")
    if groups.isEmpty {
      // Not an IsoFLOP sweep: measured against predicted final loss.
      let points = runs.compactMap { run -> (Double, Double)? in
        guard let N = run.N, let D = run.D, let loss = run.finalValLoss ?? run.finalTrainLoss else { return nil }
        return (law(Double(N), Double(D)), loss)
      }
      guard let lo = points.map(\.0).min(), let hi = points.map(\.0).max() else { return nil }
      plot = SVGPlot(title: "Measured vs fitted — \(title)", xLabel: "fitted final loss", yLabel: "measured final loss")
      plot.series.append(.init(label: "runs", color: "#1f77b4", points: points, markers: true, cssClass: "data"))
      plot.series.append(
        .init(label: "y = x", color: "#d62728", points: [(lo, lo), (hi, hi)], line: true, cssClass: "fit"))
      return plot.render(width: 620, height: 400)
    }
    for (index, (C, members)) in groups.sorted(by: { $0.key < $1.key }).enumerated() {
      let color = SVGPlot.viridis(Double(index) / Double(max(1, groups.count - 1)) * 0.9)
      let Ns = members.map(\.N)
      plot.series.append(
        .init(
          label: String(format: "C = %.2g", C), color: color, points: members.map { ($0.N, $0.loss) }, markers: true,
          cssClass: "data"))
      plot.series.append(
        .init(
          label: "fit", color: color, points: logSpaced(Ns.min()! / 2, Ns.max()! * 2) { law($0, C / (6 * $0)) },
          line: true, dashed: false, cssClass: "fit"))
    }
    return plot.render(width: 620, height: 400)
  }

  /// Metrics logged once per prompt variant (`*.score` over several steps): each run's scores as a
  /// strip, so the spread across formats shows at a glance.
  static func spreads(runs: [RunRecord], curves: [Int64: [String: [CurvePoint]]]) -> [String] {
    let names = Set(
      runs.flatMap { run in (curves[run.id!] ?? [:]).filter { $0.key.hasSuffix(".score") && $0.value.count > 1 }.keys })
    return names.sorted().prefix(8).compactMap { name in
      var plot = SVGPlot(
        title: "Spread across variants: \(name)", xLabel: "run", yLabel: name, logX: false, logY: false)
      plot.legendLimit = 12
      let colors = colors(runs)
      for (index, run) in runs.enumerated() {
        guard let points = curves[run.id!]?[name], points.count > 1 else { continue }
        let values = points.map(\.value)
        plot.series.append(
          .init(
            label: label(run), color: colors[run.id!]!, points: values.map { (Double(index + 1), $0) }, markers: true,
            cssClass: "data"))
        plot.series.append(
          .init(
            label: "range", color: colors[run.id!]!,
            points: [(Double(index + 1), values.min()!), (Double(index + 1), values.max()!)],
            line: true, cssClass: "range"))
      }
      return plot.series.isEmpty ? nil : plot.render(width: 620, height: 400)
    }
  }

  static func logSpaced(_ lo: Double, _ hi: Double, count: Int = 60, _ f: (Double) -> Double) -> [(Double, Double)] {
    guard lo > 0, hi > lo else { return lo > 0 ? [(lo, f(lo))] : [] }
    return (0..<count).map { i in
      let x = exp(log(lo) + (log(hi) - log(lo)) * Double(i) / Double(count - 1))
      return (x, f(x))
    }
  }

  static func decode(_ json: String) -> [String: Double] {
    guard case .object(let object) = JSONFragment(json).value else { return [:] }
    return object.compactMapValues { value in
      switch value {
      case .integer(let v): return Double(v)
      case .number(let v): return v
      case .string("inf"): return .infinity
      case .string("-inf"): return -.infinity
      default: return nil
      }
    }
  }

  static func decodeIntervals(_ json: String) -> [String: [Double]] {
    guard case .object(let object) = JSONFragment(json).value else { return [:] }
    return object.compactMapValues { value in
      guard case .array(let items) = value else { return nil }
      let numbers = items.compactMap { item -> Double? in
        switch item {
        case .integer(let v): return Double(v)
        case .number(let v): return v
        default: return nil
        }
      }
      return numbers.count == 2 ? numbers : nil
    }
  }

  static func decodeStrings(_ json: String) -> [String: String] {
    guard case .object(let object) = JSONFragment(json).value else { return [:] }
    return object.compactMapValues { if case .string(let s) = $0 { return s } else { return nil } }
  }
}

/// `L(X) = E + A/X^alpha` or `L(X) = (X_c/X)^alpha`, evaluated from stored parameters.
struct OneVariableLaw {
  let E: Double
  let A: Double
  let alpha: Double

  init?(form: String, parameters: [String: Double]) {
    if form.contains("= E + A/"), let E = parameters["E"], let A = parameters["A"], let alpha = parameters["alpha"] {
      (self.E, self.A, self.alpha) = (E, A, alpha)
    } else if let alpha = parameters["alpha"], let scale = parameters.first(where: { $0.key.hasSuffix("_c") })?.value {
      (E, A, self.alpha) = (0, pow(scale, alpha), alpha)
    } else {
      return nil
    }
  }

  func callAsFunction(_ x: Double) -> Double { E + A / pow(x, alpha) }

  /// The envelope of the law over every corner of the parameters' 95% intervals (nil without intervals).
  func band(intervals: [String: [Double]], lo: Double, hi: Double) -> [(Double, Double)]? {
    guard let alphas = intervals["alpha"] else { return nil }
    let Es = intervals["E"] ?? [E, E]
    let As = intervals["A"] ?? [A, A]
    let corners = Es.flatMap { e in As.flatMap { a in alphas.map { (e, a, $0) } } }
    let xs = Figures.logSpaced(lo, hi) { $0 }.map(\.0)
    let values = xs.map { x in corners.map { $0.0 + $0.1 / pow(x, $0.2) }.filter(\.isFinite) }
    guard values.allSatisfy({ !$0.isEmpty }) else { return nil }
    let upper = zip(xs, values).map { ($0, $1.max()!) }
    let lower = zip(xs, values).map { ($0, $1.min()!) }
    return upper + lower.reversed()
  }
}

extension Double {
  /// The value rounded to `digits` significant digits.
  func significant(_ digits: Int) -> Double {
    guard self != 0, isFinite else { return self }
    let scale = pow(10, Double(digits) - ceil(log10(abs(self))))
    return (self * scale).rounded() / scale
  }
}
