import Foundation
import WorkbenchFiles
import WorkbenchFit
import WorkbenchKit
import WorkbenchLM

/// The experiment's analysis, read from the log: per probed model the accuracy in Tk-Instruct's
/// layout, the spread (max − min) over formats, calibrated and not, over demonstration sets per k,
/// over orders and over wordings — each the median over tasks, with a 95% interval over the
/// demonstration sets where there are several; the effects of calibration and of format
/// augmentation; the rank correlation of per-format accuracy between models; how close the
/// Thompson-sampling search comes to the exhaustive spread. The same numbers go to report.html.
struct PromptSensitivityAnalysis {
  let runs: [FinishedRun<PromptSensitivityConfig>]
  let context: AnalysisContext

  /// One probed model's evaluations: metric name → values by step (variant index).
  struct Probe {
    let run: FinishedRun<PromptSensitivityConfig>
    let values: [MetricName: [Int: Double]]
    var config: PromptSensitivityConfig { run.config }
    var model: String { "L\(config.model.layers) d\(config.model.width)" }
    var name: String { "\(model) \(config.tuning.rawValue)" }

    /// max − min over the variants of one metric (nil when fewer than two were evaluated).
    func spread(_ metric: MetricName) -> Double? {
      guard let v = values[metric], v.count >= 2 else { return nil }
      return v.values.max()! - v.values.min()!
    }

    /// Median over tasks of `f(task)`.
    func medianOverTasks(_ f: (String) -> Double?) -> Double? {
      let v = config.probe.tasks.compactMap(f)
      return v.isEmpty ? nil : median(v)
    }

    /// Median over tasks of the spread over formats of `score` at `k`, per demonstration set.
    func formatSpreads(_ score: PromptScore, k: Int) -> [Double] {
      (0..<config.probe.selectionSeeds).compactMap { s in
        medianOverTasks { spread(.formatAxis($0, k: k, seed: s).score(score)) }
      }
    }

    /// Median over tasks of (spread of `a` − spread of `b`) at `k`, per demonstration set.
    func spreadDifferences(k: Int, _ a: (String, Int) -> Double?, _ b: (String, Int) -> Double?) -> [Double] {
      (0..<config.probe.selectionSeeds).compactMap { s in
        medianOverTasks { task in
          guard let x = a(task, s), let y = b(task, s) else { return nil }
          return x - y
        }
      }
    }

    /// Mean score of each format (over tasks, k and demonstration sets).
    func perFormatScore(_ score: PromptScore = .score) -> [Double] {
      (0..<config.probe.formats).map { f in
        var v: [Double] = []
        for task in config.probe.tasks {
          for k in config.probe.shots {
            for s in 0..<config.probe.selectionSeeds {
              if let x = values[.formatAxis(task, k: k, seed: s).score(score)]?[f] { v.append(x) }
            }
          }
        }
        return v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
      }
    }
  }

  func run() throws {
    guard !runs.isEmpty else { return }
    let probes = try runs.map { run in
      var values: [MetricName: [Int: Double]] = [:]
      for m in try context.metrics(of: run) { values[m.name, default: [:]][m.step] = m.value }
      return Probe(run: run, values: values)
    }.sorted {
      ($0.config.model.width, $0.config.model.layers, $0.config.tuning.rawValue) < (
        $1.config.model.width, $1.config.model.layers, $1.config.tuning.rawValue
      )
    }
    let p = probes[0].config.probe
    var lines: [String] = []
    func out(_ line: String) {
      context.print(line)
      lines.append(line)
    }
    let f1 = { (x: Double?) in x.map { String(format: "%.1f", $0) } ?? "–" }
    let interval = { (values: [Double]) -> String in
      guard !values.isEmpty else { return "–" }
      let (m, h) = meanInterval(values)
      return h.map { String(format: "%.1f ± %.1f", m, $0) } ?? String(format: "%.1f", m)
    }
    func pad(_ s: String, _ n: Int) -> String {
      s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }

    out(
      "\(probes.count) probed models, \(p.tasks.count) tasks × \(p.instances) instances, "
        + "\(p.formats) formats, k ∈ {\(p.shots.map(String.init).joined(separator: ", "))}, "
        + "\(p.selectionSeeds) demonstration sets")
    out(
      "score ×100: accuracy with the label options ranked by likelihood (classification), exact match of the "
        + "greedy answer (generation); spread = max − min over the variants, median over tasks, mean ± 95% interval "
        + "over demonstration sets; calibrated and acc_norm: classification tasks only")
    let k0 = p.shots.contains(p.formatShots) ? p.formatShots : p.shots[0]
    out(
      pad("model", 9) + pad("tuning", 10) + pad("Tk score", 9) + pad("format spread", 15) + pad("calibrated", 15)
        + pad("acc_norm", 15) + pad("order (k=\(p.orderShots))", 12) + "wording   (k = \(k0))")
    for probe in probes {
      let tkScore = probe.medianOverTasks { task in
        let v = (0..<p.selectionSeeds).compactMap {
          probe.values[MetricName.formatAxis(task, k: k0, seed: $0).score(.score)]?[0]
        }
        return v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
      }
      out(
        pad(probe.model, 9) + pad(probe.config.tuning.rawValue, 10) + pad(f1(tkScore), 9)
          + pad(interval(probe.formatSpreads(.score, k: k0)), 15)
          + pad(interval(probe.formatSpreads(.calibrated, k: k0)), 15)
          + pad(interval(probe.formatSpreads(.accNorm, k: k0)), 15)
          + pad(f1(probe.medianOverTasks { probe.spread(.orderAxis($0).score(.score)) }), 12)
          + f1(probe.medianOverTasks { probe.spread(.wordingAxis($0).score(.score)) }))
    }

    out("format spread by k (median over tasks, mean ± 95% interval over demonstration sets):")
    out(pad("model", 9) + pad("tuning", 10) + p.shots.map { pad("k=\($0)", 15) }.joined())
    for probe in probes {
      let cells = p.shots.map { pad(interval(probe.formatSpreads(.score, k: $0)), 15) }
      out(pad(probe.model, 9) + pad(probe.config.tuning.rawValue, 10) + cells.joined())
    }
    out("spread over the \(p.selectionSeeds) demonstration sets in Tk-Instruct's layout by k (median over tasks):")
    for probe in probes {
      let cells = p.shots.map { k -> String in
        pad(
          f1(
            probe.medianOverTasks { task in
              let v = (0..<p.selectionSeeds).compactMap {
                probe.values[MetricName.formatAxis(task, k: k, seed: $0).score(.score)]?[0]
              }
              return v.count >= 2 ? v.max()! - v.min()! : nil
            }), 15)
      }
      out(pad(probe.model, 9) + pad(probe.config.tuning.rawValue, 10) + cells.joined())
    }

    out("effects on the format spread by k (median over tasks, mean ± 95% interval over demonstration sets):")
    /// `a`'s format spread of `scoreA` minus `b`'s of `scoreB`, at each k.
    func effect(_ a: Probe, _ scoreA: PromptScore, _ b: Probe, _ scoreB: PromptScore) -> String {
      p.shots.map { k -> String in
        let d = a.spreadDifferences(
          k: k, { a.spread(.formatAxis($0, k: k, seed: $1).score(scoreA)) },
          { b.spread(.formatAxis($0, k: k, seed: $1).score(scoreB)) })
        return "k=\(k) \(interval(d))\(sign(d))"
      }.joined(separator: ", ")
    }
    for probe in probes {
      out("  calibration, \(probe.name): uncalibrated − calibrated: " + effect(probe, .score, probe, .calibrated))
    }
    for model in probes.map(\.model).reduce(into: [String](), { if !$0.contains($1) { $0.append($1) } }) {
      guard let tuned = probes.first(where: { $0.model == model && $0.config.tuning == .tuned }),
        let augmented = probes.first(where: { $0.model == model && $0.config.tuning == .augmented })
      else { continue }
      out("  format augmentation, \(model): single-format − augmented: " + effect(tuned, .score, augmented, .score))
    }
    out("  (* the interval excludes 0: a positive difference narrows the spread, a negative one widens it)")

    out("rank correlation (Spearman) of per-format accuracy between models:")
    for (i, a) in probes.enumerated() {
      for b in probes[(i + 1)...] where a.model == b.model || a.config.tuning == b.config.tuning {
        let x = a.perFormatScore()
        let y = b.perFormatScore()
        let both = x.indices.filter { x[$0].isFinite && y[$0].isFinite }
        let rho = both.count >= 3 ? spearmanCorrelation(both.map { x[$0] }, both.map { y[$0] }) : nil
        out("  \(pad(a.name, 20))~ \(pad(b.name, 20)) ρ = \(rho.map { String(format: "%+.2f", $0) } ?? "–")")
      }
    }

    if p.searchBudget > 0 {
      out("Thompson-sampling search (first demonstration set) vs the exhaustive grid:")
      for probe in probes {
        var found: [Double] = []
        var exhaustive: [Double] = []
        var calls: [Double] = []
        for task in p.tasks {
          guard let s = probe.values[.search(task, .spread)]?[0],
            let e = probe.spread(MetricName.formatAxis(task, k: k0, seed: 0).score(.score))
          else { continue }
          found.append(s)
          exhaustive.append(e)
          calls.append(probe.values[.search(task, .calls)]?[0] ?? .nan)
        }
        guard !found.isEmpty else { continue }
        let grid = Double(p.formats * p.instances)
        out(
          "  \(pad(probe.name, 20)) spread found \(f1(median(found))) of \(f1(median(exhaustive))) (median over "
            + "tasks) with \(f1(median(calls))) calls, \(String(format: "%.0f%%", 100 * median(calls) / grid)) "
            + "of the grid's \(Int(grid))")
      }
    }
    try report(probes, lines: lines)
  }

  /// `*` when the 95% interval of the mean excludes zero.
  func sign(_ values: [Double]) -> String {
    let (m, h) = meanInterval(values)
    guard let h else { return "" }
    return m - h > 0 || m + h < 0 ? "*" : ""
  }

  func report(_ probes: [Probe], lines: [String]) throws {
    let p = probes[0].config.probe
    let colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f", "#bcbd22"]
    var strip = SVGPlot(
      title: "Score of each format (mean over tasks, k and demonstration sets)", xLabel: "probed model",
      yLabel: "score ×100", logX: false, logY: false)
    var calibrated = SVGPlot(
      title: "Calibrated accuracy of each format (classification tasks)", xLabel: "probed model",
      yLabel: "accuracy ×100", logX: false,
      logY: false)
    var shots = SVGPlot(
      title: "Format spread vs k (median over tasks, mean over demonstration sets)", xLabel: "k",
      yLabel: "spread ×100", logX: false, logY: false)
    for (i, probe) in probes.enumerated() {
      let color = colors[i % colors.count]
      let x = Double(i + 1)
      let formats = probe.perFormatScore()
      strip.series.append(
        .init(
          label: "\(i + 1): \(probe.name)", color: color,
          points: formats.enumerated().map {
            (x + 0.5 * (Double($0.offset) / Double(formats.count) - 0.5), $0.element)
          },
          markers: true))
      let cal = probe.perFormatScore(.calibrated)
      calibrated.series.append(
        .init(
          label: "\(i + 1): \(probe.name)", color: color,
          points: cal.enumerated().map { (x + 0.5 * (Double($0.offset) / Double(cal.count) - 0.5), $0.element) },
          markers: true))
      shots.series.append(
        .init(
          label: probe.name, color: color,
          points: p.shots.compactMap { k in
            let v = probe.formatSpreads(.score, k: k)
            return v.isEmpty ? nil : (Double(k), v.reduce(0, +) / Double(v.count))
          }, line: true, markers: true))
    }
    // Per model and task: the statistics of the score over the formats at each k, for the first
    // demonstration set (the query in docs/prompt-sensitivity.md gives the same from the log).
    var rows: [String] = []
    for probe in probes {
      for task in p.tasks {
        for k in p.shots {
          guard let v = probe.values[MetricName.formatAxis(task, k: k, seed: 0).score(.score)]?.values, !v.isEmpty
          else { continue }
          let values = Array(v)
          let mean = values.reduce(0, +) / Double(values.count)
          let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
          let cells =
            [probe.name, task, "\(k)", "\(values.count)"]
            + [mean, sd, values.min()!, values.max()!, values.max()! - values.min()!].map { String(format: "%.1f", $0) }
          rows.append("<tr>" + cells.map { "<td>\($0.htmlEscaped)</td>" }.joined() + "</tr>")
        }
      }
    }
    try context.writeReport(
      title: "Prompt sensitivity",
      body: """
        <h1>Prompt sensitivity: accuracy across formats, demonstrations and order</h1>
        <p>Every number below is computed from the log's <code>format.*</code>, <code>order.*</code>,
        <code>wording.*</code> and <code>search.*</code> metrics of this experiment (docs/prompt-sensitivity.md gives the query).
        Each dot is one format; its x position inside a model's band is the format's index.</p>
        \(strip.render(width: 900, height: 460))
        \(calibrated.render(width: 900, height: 460))
        \(shots.render())
        <pre>\(lines.joined(separator: "\n").htmlEscaped)</pre>
        <h2>Score over formats per model, task and k (first demonstration set)</h2>
        <table><tr><th>model</th><th>task</th><th>k</th><th>formats</th><th>mean</th><th>sd</th><th>min</th><th>max</th><th>spread</th></tr>
        \(rows.joined(separator: "\n"))</table>
        """)
  }
}
