import Foundation
import WorkbenchFiles
import WorkbenchFit
import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM

/// The experiment's analysis: unseen-binding exact match against log₂ I per model size (fitted
/// slope with a 95% interval, stored in the log), against model size at the largest I, beside
/// the best baseline (the nearest seen instruction included), and the instructions-vs-examples
/// ablation; the same numbers as a table and as report.html. Exact match ×100 throughout;
/// intervals are 95% Wilson intervals over every test answer of the runs pooled.
struct InstructionAnalysis {
  let runs: [FinishedRun<InstructionTuningConfig>]
  let context: AnalysisContext

  static let tiers = InstructionMetricName.tiers
  static let baselines = InstructionMetricName.baselines

  /// One run's numbers, read from the log.
  struct Point {
    let run: FinishedRun<InstructionTuningConfig>
    let N: Double
    var I: Int { run.config.instructions }
    var model: String { "L\(run.config.model.layers) d\(run.config.model.width)" }
    var encoding: String { run.config.finetuning.encodings.map(\.rawValue).joined(separator: "|") }
    var instances: Int { run.config.finetuning.instancesPerTask }
    let exact: [String: Double]  // tier → exact match ×100
    let answers: [String: Double]  // tier → number of test answers
    let baselines: [String: Double]  // "name tier" → exact match ×100
  }

  func value(_ run: FinishedRun<InstructionTuningConfig>, _ name: MetricName) throws -> Double? {
    try context.metrics(of: run, name).last?.value
  }

  func points() throws -> [Point] {
    try runs.map { run in
      var exact: [String: Double] = [:]
      var answers: [String: Double] = [:]
      var baselines: [String: Double] = [:]
      for tier in Self.tiers {
        let prefix = InstructionMetricName.model(tier)
        exact[tier] = try value(run, InstructionMetricName.score(prefix, "exact_match"))
        answers[tier] = try value(run, InstructionMetricName.answers(prefix))
        for name in Self.baselines {
          baselines["\(name) \(tier)"] = try value(
            run, InstructionMetricName.score(InstructionMetricName.baseline(name, tier), "exact_match"))
        }
      }
      return Point(
        run: run, N: Double(run.summary.N ?? 0), exact: exact, answers: answers, baselines: baselines)
    }
  }

  /// Pooled exact match of `group` on `tier` with its 95% Wilson interval (×100).
  static func pooled(_ group: [Point], _ tier: String) -> (value: Double, low: Double, high: Double)? {
    let pairs = group.compactMap { p in p.exact[tier].flatMap { e in p.answers[tier].map { (e, $0) } } }
    let n = pairs.map(\.1).reduce(0, +)
    guard n > 0 else { return nil }
    return wilson(pairs.map { $0.0 / 100 * $0.1 }.reduce(0, +) / n, n)
  }

  /// A proportion `p` of `n` answers ×100 with its 95% Wilson interval.
  static func wilson(_ p: Double, _ n: Double) -> (value: Double, low: Double, high: Double) {
    let z = 1.959964
    let centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    let half = z / (1 + z * z / n) * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
    return (100 * p, max(0, 100 * (centre - half)), min(100, 100 * (centre + half)))
  }

  static func format(_ v: (value: Double, low: Double, high: Double)?) -> String {
    guard let v else { return "-" }
    return String(format: "%.1f [%.1f, %.1f]", v.value, v.low, v.high)
  }

  /// The best baseline on `tier` over `group` (by mean exact match), with its value.
  static func bestBaseline(_ group: [Point], _ tier: String) -> (name: String, value: Double)? {
    baselines.compactMap { name -> (String, Double)? in
      let values = group.compactMap { $0.baselines["\(name) \(tier)"] }
      return values.isEmpty ? nil : (name, mean(values))
    }.max { $0.1 < $1.1 }
  }

  func run() throws {
    let all = try points()
    guard !all.isEmpty else { return }
    // The sweep proper: the most common encoding; other encodings are the ablation.
    let counts = Dictionary(grouping: all, by: \.encoding).mapValues(\.count)
    let main = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }!.key
    let points = all.filter { $0.encoding == main }
    let models = Array(Set(all.map(\.model))).sorted { a, b in
      (all.first { $0.model == a }!.N) < (all.first { $0.model == b }!.N)
    }
    let Is = Set(points.map(\.I)).sorted()
    context.print(
      "\(context.experimentName): \(all.count) runs, \(models.count) model sizes, I ∈ {\(Is.map(String.init).joined(separator: ", "))} distinct tuning instructions (encoding \(main))"
    )
    context.print(
      "exact match ×100 over every test answer of the runs (seeds pooled), 95% Wilson interval; best baseline: the strongest of copy-input, copy-demo-output, majority-label and nearest-seen on unseen bindings"
    )
    var table = [
      "model      N         I  runs  "
        + ["seen", "unseen-binding", "best baseline", "unseen-family", "unseen-category"].map {
          $0.padding(toLength: 20, withPad: " ", startingAt: 0)
        }.joined()
    ]
    for model in models {
      for I in Is {
        let group = points.filter { $0.model == model && $0.I == I }
        guard !group.isEmpty else { continue }
        let best = Self.bestBaseline(group, "unseen-binding")
        let cells = [
          Self.format(Self.pooled(group, "seen")), Self.format(Self.pooled(group, "unseen-binding")),
          best.map { String(format: "%.1f %@", $0.value, $0.name) } ?? "-",
          Self.format(Self.pooled(group, "unseen-family")), Self.format(Self.pooled(group, "unseen-category")),
        ]
        table.append(
          model.padding(toLength: 9, withPad: " ", startingAt: 0)
            + String(format: "%8.3g %5d %4d  ", group[0].N, I, group.count)
            + cells.map { $0.padding(toLength: 20, withPad: " ", startingAt: 0) }.joined())
      }
    }
    table.forEach(context.print)
    for tier in Self.tiers.dropFirst() {
      let rows = Self.baselines.compactMap { name -> String? in
        let values = points.compactMap { $0.baselines["\(name) \(tier)"] }
        return values.isEmpty ? nil : String(format: "%@ %.1f", name, mean(values))
      }
      context.print("baselines on \(tier) (mean over runs): \(rows.joined(separator: ", "))")
    }

    var fits: [Fit] = []
    for model in models {
      for tier in Self.tiers {
        let group = points.filter { $0.model == model && $0.I >= 1 }
        let xy = group.compactMap { p in p.exact[tier].map { (log2(Double(p.I)), $0) } }
        guard Set(xy.map(\.0)).count >= 2, xy.count >= 3 else { continue }
        let fit = linearFit(xy)
        fits.append(
          Fit(model: model, tier: tier, slope: fit.slope, low: fit.low, high: fit.high, intercept: fit.intercept))
        try context.storeFit(
          form: "exact_match = a + b·log2(I)", parameters: ["a": fit.intercept, "b": fit.slope],
          intervals: ["b": [fit.low, fit.high]], options: ["tier": tier, "model": model],
          runs: group.map(\.run), pointCount: xy.count, objective: fit.sse, r2: fit.r2)
      }
    }
    for fit in fits where fit.tier == "unseen-binding" {
      context.print(
        String(
          format: "%@: unseen-binding exact match = %.1f + %.2f·log2 I, slope 95%% interval [%.2f, %.2f]%@",
          fit.model, fit.intercept, fit.slope, fit.low, fit.high,
          fit.low > 0 ? " (rises with I)" : fit.high < 0 ? " (falls with I)" : " (no trend shown)"))
    }
    if let largestI = Is.last {
      let bySize = models.map { model -> String in
        "\(model) \(Self.format(Self.pooled(points.filter { $0.model == model && $0.I == largestI }, "unseen-binding")))"
      }
      context.print("unseen-binding exact match at I = \(largestI) by model size: \(bySize.joined(separator: ", "))")
      if let model = models.last {
        let group = points.filter { $0.model == model && $0.I == largestI }
        if let score = Self.pooled(group, "unseen-binding"), let best = Self.bestBaseline(group, "unseen-binding") {
          context.print(
            String(
              format: "%@ at I = %d: %.1f on unseen bindings vs %.1f for the best baseline (%@): %+.1f points",
              model, largestI, score.value, best.value, best.name, score.value - best.value))
        }
      }
    }
    let ablation = ablationRows(all, main: main)
    if !ablation.isEmpty {
      context.print(
        "instructions vs examples (\(ablation[0].model), I = \(ablation[0].I), each tuned and evaluated in its encoding):"
      )
      for row in ablation {
        context.print(
          "  \(row.encoding.padding(toLength: 8, withPad: " ", startingAt: 0)) unseen-binding \(Self.format(row.unseen))  seen \(Self.format(row.seen))"
        )
      }
    }
    try report(points, models: models, fits: fits, ablation: ablation, encoding: main)
  }

  struct Fit {
    let model: String, tier: String, slope: Double, low: Double, high: Double, intercept: Double
  }

  struct AblationRow {
    let model: String, I: Int, encoding: String
    let unseen: (value: Double, low: Double, high: Double)?
    let seen: (value: Double, low: Double, high: Double)?
  }

  /// The ablation: every encoding at the (model, I) points that have runs in another encoding
  /// than the sweep's, the sweep's own run of the same seeds beside them.
  func ablationRows(_ all: [Point], main: String) -> [AblationRow] {
    guard let other = all.first(where: { $0.encoding != main }) else { return [] }
    let at = all.filter { $0.model == other.model && $0.I == other.I }
    let seeds = Set(at.filter { $0.encoding != main }.map(\.run.seed))
    return Set(at.map(\.encoding)).sorted().map { encoding in
      let group = at.filter { $0.encoding == encoding && seeds.contains($0.run.seed) }
      return AblationRow(
        model: other.model, I: other.I, encoding: encoding, unseen: Self.pooled(group, "unseen-binding"),
        seen: Self.pooled(group, "seen"))
    }
  }

  func report(_ points: [Point], models: [String], fits: [Fit], ablation: [AblationRow], encoding: String) throws {
    let plots = Self.tiers.map { tier in
      SVGPlot.againstCount(
        title: "\(tier) instructions", xLabel: "I, distinct instructions tuned on", yLabel: "exact match ×100", points,
        models: models, model: \.model, count: \.I, average: { Self.pooled($0, tier)?.value }, run: { $0.exact[tier] },
        baselines: tier == "seen"
          ? [] : Self.baselines.map { name in (name, points.compactMap { $0.baselines["\(name) \(tier)"] }) })
    }
    let rows = fits.map { f in
      "<tr><td>\(f.model)</td><td>\(f.tier)</td><td>\(String(format: "%.2f", f.intercept))</td><td>\(String(format: "%.2f [%.2f, %.2f]", f.slope, f.low, f.high))</td></tr>"
    }.joined(separator: "\n")
    let ablationTable =
      ablation.isEmpty
      ? ""
      : "<h2>Instructions vs examples (\(ablation[0].model), I = \(ablation[0].I))</h2><table><tr><th>encoding</th><th>unseen-binding</th><th>seen</th></tr>"
        + ablation.map {
          "<tr><td>\($0.encoding)</td><td>\(Self.format($0.unseen))</td><td>\(Self.format($0.seen))</td></tr>"
        }.joined() + "</table>"
    try context.writeReport(
      title: "Instruction tuning",
      body: """
        <h1>Instruction tuning: generalisation to unseen instructions</h1>
        <p>\(points.count) runs in encoding \(encoding). Exact match ×100 over the test answers of each tier, greedy decoding; lines: runs of a size pooled. Dashed: baselines scored the same way (nearest-seen: the closest tuned instruction of the family, executed exactly). Fits: least squares of exact match on log₂ I over the runs of a size, 95% t interval of the slope.</p>
        <table><tr><th>model</th><th>tier</th><th>a</th><th>b (per doubling of I)</th></tr>
        \(rows)</table>
        \(ablationTable)
        \(plots.joined(separator: "\n"))
        """)
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
