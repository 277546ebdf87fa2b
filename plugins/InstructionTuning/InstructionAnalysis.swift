import Foundation
import WorkbenchFit
import WorkbenchKit
import WorkbenchLM
import WorkbenchRunLog

/// The experiment's analysis: unseen-task score against log₂ K per model size (fitted slope with
/// a 95% interval, stored in the log), against model size, and against instances per task, beside
/// the heuristic baselines; the same numbers as a table and as report.html.
struct InstructionAnalysis {
  let runs: [FinishedRun<InstructionTuningConfig>]
  let context: AnalysisContext

  static let tiers = ["seen", "unseen-binding", "unseen-family", "unseen-category"]
  static let baselines = ["copy-input", "copy-demo-output", "majority-label"]

  /// One run's numbers, read from the log.
  struct Point {
    let run: FinishedRun<InstructionTuningConfig>
    let N: Double
    var K: Int { run.config.tasks }
    var model: String { "L\(run.config.model.layers) d\(run.config.model.width)" }
    var instances: Int { run.config.finetuning.instancesPerTask }
    let scores: [String: Double]  // tier → task-metric score ×100
    let baselines: [String: Double]  // "name tier" → score ×100
  }

  func value(_ run: RunRecord, _ name: String) throws -> Double? { try context.metrics(of: run, name).last?.value }

  func points() throws -> [Point] {
    try runs.map { run in
      var scores: [String: Double] = [:]
      var baselines: [String: Double] = [:]
      for tier in Self.tiers {
        scores[tier] = try value(run.record, "score.\(tier).score")
        for name in Self.baselines {
          baselines["\(name) \(tier)"] = try value(run.record, "baseline.\(name).\(tier).score")
        }
      }
      return Point(run: run, N: Double(run.record.N ?? 0), scores: scores, baselines: baselines)
    }
  }

  func run() throws {
    let points = try points()
    guard !points.isEmpty else { return }
    let models = Array(Set(points.map(\.model))).sorted { a, b in
      (points.first { $0.model == a }!.N) < (points.first { $0.model == b }!.N)
    }
    context.print(
      "\(context.experiment.name): \(points.count) runs, \(models.count) model sizes, K ∈ {\(Set(points.map(\.K)).sorted().map(String.init).joined(separator: ", "))}"
    )
    context.print(
      "score = each task's metric (exact match or ROUGE-L) ×100, mean over test instances; mean ± sd over subset seeds")
    var table = [
      "model       N        K   runs  "
        + Self.tiers.map { $0.padding(toLength: 17, withPad: " ", startingAt: 0) }.joined()
    ]
    var groups: [String: [Point]] = [:]
    for p in points { groups["\(p.model)|\(p.K)|\(p.instances)", default: []].append(p) }
    for model in models {
      for K in Set(points.filter { $0.model == model }.map(\.K)).sorted() {
        for instances in Set(points.map(\.instances)).sorted() {
          guard let group = groups["\(model)|\(K)|\(instances)"] else { continue }
          var line =
            model.padding(toLength: 10, withPad: " ", startingAt: 0)
            + String(format: "%8.3g %4d %5d  ", group[0].N, K, group.count)
          for tier in Self.tiers {
            let values = group.compactMap { $0.scores[tier] }
            line += (values.isEmpty ? "-" : String(format: "%5.1f ± %-4.1f", mean(values), sd(values)))
              .padding(toLength: 17, withPad: " ", startingAt: 0)
          }
          if Set(points.map(\.instances)).count > 1 {
            line += " (instances/task \(instances == 0 ? "fresh" : String(instances)))"
          }
          table.append(line)
        }
      }
    }
    table.forEach(context.print)
    for tier in Self.tiers.dropFirst() {
      let rows = Self.baselines.map { name -> String in
        let values = points.compactMap { $0.baselines["\(name) \(tier)"] }
        return String(format: "%@ %.1f", name, values.isEmpty ? .nan : mean(values))
      }
      context.print("baselines on \(tier): \(rows.joined(separator: ", "))")
    }

    var fits: [(model: String, tier: String, slope: Double, low: Double, high: Double, intercept: Double)] = []
    for model in models {
      for tier in Self.tiers.dropFirst() {
        let group = points.filter { $0.model == model && $0.K >= 1 && $0.instances == points[0].instances }
        let xy = group.compactMap { p in p.scores[tier].map { (log2(Double(p.K)), $0) } }
        guard Set(xy.map(\.0)).count >= 2, xy.count >= 3 else { continue }
        let fit = linearFit(xy)
        fits.append((model, tier, fit.slope, fit.low, fit.high, fit.intercept))
        try context.storeFit(
          form: "score = a + b·log2(K)", parameters: ["a": fit.intercept, "b": fit.slope],
          intervals: ["b": [fit.low, fit.high]], options: ["tier": tier, "model": model],
          runs: group.map(\.run.record), pointCount: xy.count, objective: fit.sse, r2: fit.r2)
      }
    }
    for fit in fits where fit.tier == "unseen-binding" {
      context.print(
        String(
          format: "%@: unseen-binding score = %.1f + %.2f·log2 K, slope 95%% interval [%.2f, %.2f]%@", fit.model,
          fit.intercept, fit.slope, fit.low, fit.high, fit.low > 0 ? " (rises with K)" : ""))
    }
    let largestK = points.map(\.K).max()!
    let bySize = models.map { model -> String in
      let values = points.filter { $0.model == model && $0.K == largestK }.compactMap { $0.scores["unseen-binding"] }
      return String(format: "%@ %.1f", model, values.isEmpty ? .nan : mean(values))
    }
    context.print("unseen-binding score at K = \(largestK) by model size: \(bySize.joined(separator: ", "))")
    try report(points, models: models, fits: fits)
  }

  func report(
    _ points: [Point], models: [String],
    fits: [(model: String, tier: String, slope: Double, low: Double, high: Double, intercept: Double)]
  ) throws {
    var plots: [String] = []
    for tier in Self.tiers {
      var plot = SVGPlot(
        title: "\(tier) tasks", xLabel: "K, tasks tuned on", yLabel: "score ×100", logX: true, logY: false)
      for (i, model) in models.enumerated() {
        let color = SVGPlot.viridis(models.count > 1 ? Double(i) / Double(models.count - 1) * 0.85 : 0.3)
        let group = points.filter { $0.model == model && $0.K >= 1 }
        let Ks = Set(group.map(\.K)).sorted()
        let means = Ks.map { K in (Double(K), mean(group.filter { $0.K == K }.compactMap { $0.scores[tier] })) }
        plot.series.append(.init(label: model, color: color, points: means, line: true, markers: true))
        plot.series.append(
          .init(
            label: "\(model) runs", color: color,
            points: group.compactMap { p in p.scores[tier].map { (Double(p.K), $0) } }, markers: true))
      }
      if tier != "seen", let lo = points.filter({ $0.K >= 1 }).map(\.K).min(), let hi = points.map(\.K).max() {
        for (j, name) in Self.baselines.enumerated() {
          let values = points.compactMap { $0.baselines["\(name) \(tier)"] }
          guard !values.isEmpty else { continue }
          plot.series.append(
            .init(
              label: name, color: ["#888", "#c44", "#4a4"][j],
              points: [(Double(lo), mean(values)), (Double(hi), mean(values))],
              line: true, dashed: true))
        }
      }
      plots.append(plot.render())
    }
    let rows = fits.map { f in
      "<tr><td>\(f.model)</td><td>\(f.tier)</td><td>\(String(format: "%.2f", f.intercept))</td><td>\(String(format: "%.2f [%.2f, %.2f]", f.slope, f.low, f.high))</td></tr>"
    }.joined(separator: "\n")
    let html = """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><title>Instruction tuning</title>
      <style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}svg{background:#fff;margin:0.5em;border:1px solid #ddd}
      table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;font-size:14px}</style></head>
      <body><h1>Instruction tuning: generalisation to unseen tasks</h1>
      <p>\(points.count) runs. Score: each task's metric (exact match or ROUGE-L, as SNI scores its categories) ×100, mean over test instances, greedy decoding. Dashed: SNI's heuristic baselines scored the same way. Fits: least squares of score on log₂ K over all runs of a model size, 95% t interval of the slope.</p>
      <table><tr><th>model</th><th>tier</th><th>a</th><th>b (per doubling of K)</th></tr>
      \(rows)</table>
      \(plots.joined(separator: "\n"))
      </body></html>
      """
    let url = context.directory.appendingPathComponent("report.html")
    try FileManager.default.createDirectory(at: context.directory, withIntermediateDirectories: true)
    try RunContext.writeAtomically(Data(html.utf8), to: url)
    context.print("report: \(url.path)")
  }
}

func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }

func sd(_ values: [Double]) -> Double {
  guard values.count > 1 else { return 0 }
  let m = mean(values)
  return (values.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
}

/// Ordinary least squares y = a + b·x with the 95% t interval of b.
func linearFit(_ xy: [(Double, Double)]) -> (
  intercept: Double, slope: Double, low: Double, high: Double, sse: Double, r2: Double
) {
  let n = Double(xy.count)
  let mx = xy.map(\.0).reduce(0, +) / n
  let my = xy.map(\.1).reduce(0, +) / n
  let sxx = xy.map { ($0.0 - mx) * ($0.0 - mx) }.reduce(0, +)
  let sxy = xy.map { ($0.0 - mx) * ($0.1 - my) }.reduce(0, +)
  let slope = sxx > 0 ? sxy / sxx : 0
  let intercept = my - slope * mx
  let sse = xy.map { (point: (Double, Double)) -> Double in
    let residual = point.1 - intercept - slope * point.0
    return residual * residual
  }.reduce(0, +)
  let sst = xy.map { ($0.1 - my) * ($0.1 - my) }.reduce(0, +)
  let se = xy.count > 2 && sxx > 0 ? (sse / (n - 2) / sxx).squareRoot() : .infinity
  let t = studentT975(xy.count - 2)
  return (intercept, slope, slope - t * se, slope + t * se, sse, sst > 0 ? 1 - sse / sst : 1)
}
