import Foundation
import WorkbenchFiles
import WorkbenchFit
import WorkbenchInstructions
import WorkbenchKit

/// The analysis of runs on Super-NaturalInstructions: the official exact match and ROUGE-L on
/// the unseen test tasks against K, the number of training tasks tuned on, per model size
/// (exact match with a 95% Wilson interval over every test answer of the runs pooled), beside
/// SNI's copy baselines; ROUGE-L = a + b·log₂ K fitted per model size and stored; per-category
/// scores of the largest K; the same as report.html.
struct SNIAnalysis {
  let runs: [FinishedRun<InstructionTuningConfig>]
  let context: AnalysisContext

  struct Point {
    let run: FinishedRun<InstructionTuningConfig>
    var K: Int { run.config.instructions }
    var model: String { "L\(run.config.model.layers) d\(run.config.model.width)" }
    let N: Double
    let scores: [String: Double]  // exact_match, rougeL
    let answers: Double
    let baselines: [String: Double]  // "name metric"
    let categories: [String: Double]  // "category metric"
  }

  func points() throws -> [Point] {
    let prefix = InstructionMetricName.sni
    return try runs.map { run in
      var scores: [String: Double] = [:]
      var baselines: [String: Double] = [:]
      var categories: [String: Double] = [:]
      for metric in try context.metrics(of: run) {
        let name = metric.name
        if let score = InstructionMetricName.sniScores.first(where: { name == prefix.appending($0) }) {
          scores[score] = metric.value
        }
        for b in InstructionMetricName.sniBaselines {
          for score in InstructionMetricName.sniScores where name == InstructionMetricName.sniBaseline(b, score) {
            baselines["\(b) \(score)"] = metric.value
          }
        }
        let category = prefix.appending("category").name + "."
        if name.name.hasPrefix(category) {
          let rest = name.name.dropFirst(category.count)
          if let dot = rest.lastIndex(of: ".") {
            categories["\(rest[..<dot]) \(rest[rest.index(after: dot)...])"] = metric.value
          }
        }
      }
      let answers =
        try context.metrics(of: run, InstructionMetricName.answers(prefix)).last?.value ?? 0
      return Point(
        run: run, N: Double(run.summary.N ?? 0), scores: scores, answers: answers, baselines: baselines,
        categories: categories)
    }
  }

  func run() throws {
    let points = try points().filter { !$0.scores.isEmpty }
    guard !points.isEmpty else { return }
    let models = Array(Set(points.map(\.model))).sorted { a, b in
      points.first { $0.model == a }!.N < points.first { $0.model == b }!.N
    }
    let Ks = Set(points.map(\.K)).sorted()
    let source = points[0].run.config.sni!
    context.print(
      "\(context.experimentName): \(points.count) runs on Super-NaturalInstructions (\(source.path), split \(source.split)), "
        + "K ∈ {\(Ks.map(String.init).joined(separator: ", "))} training tasks; scores on the unseen test tasks, "
        + "as SNI's official evaluation computes them (×100)")
    context.print("exact match pooled over every test answer of the runs, 95% Wilson interval; ROUGE-L: mean over runs")
    var table = ["model      N         K  runs  exact match           ROUGE-L"]
    for model in models {
      for K in Ks {
        let group = points.filter { $0.model == model && $0.K == K }
        guard !group.isEmpty else { continue }
        let em = Self.pooledExactMatch(group)
        table.append(
          model.padding(toLength: 9, withPad: " ", startingAt: 0)
            + String(format: "%8.3g %5d %4d  ", group[0].N, K, group.count)
            + InstructionAnalysis.format(em).padding(toLength: 22, withPad: " ", startingAt: 0)
            + String(format: "%.2f", mean(group.compactMap { $0.scores["rougeL"] })))
      }
    }
    table.forEach(context.print)
    let baselineLine = InstructionMetricName.sniBaselines.map { name in
      String(
        format: "%@ exact match %.2f, ROUGE-L %.2f", name,
        mean(points.compactMap { $0.baselines["\(name) exact_match"] }),
        mean(points.compactMap { $0.baselines["\(name) rougeL"] }))
    }
    context.print("baselines: \(baselineLine.joined(separator: "; "))")

    var fits: [(model: String, fit: (intercept: Double, slope: Double, low: Double, high: Double))] = []
    for model in models {
      let group = points.filter { $0.model == model && $0.K >= 1 }
      let xy = group.compactMap { p in p.scores["rougeL"].map { (log2(Double(p.K)), $0) } }
      guard Set(xy.map(\.0)).count >= 2, xy.count >= 3 else { continue }
      let fit = linearFit(xy)
      fits.append((model, (fit.intercept, fit.slope, fit.low, fit.high)))
      try context.storeFit(
        form: "rougeL = a + b·log2(K)", parameters: ["a": fit.intercept, "b": fit.slope],
        intervals: ["b": [fit.low, fit.high]], options: ["model": model, "tasks": "sni"],
        runs: group.map(\.run), pointCount: xy.count, objective: fit.sse, r2: fit.r2)
      context.print(
        String(
          format: "%@: ROUGE-L = %.2f + %.2f·log2 K, slope 95%% interval [%.2f, %.2f]%@", model, fit.intercept,
          fit.slope, fit.low, fit.high,
          fit.low > 0 ? " (rises with K)" : fit.high < 0 ? " (falls with K)" : " (no trend shown)"))
    }
    // Per category at the largest K of the largest model.
    var categoryRows: [(String, Double, Double)] = []
    if let model = models.last, let K = Ks.last {
      let group = points.filter { $0.model == model && $0.K == K }
      let names = Set(group.flatMap { $0.categories.keys.map { String($0.split(separator: " ")[0]) } }).sorted()
      for name in names {
        categoryRows.append(
          (
            name, mean(group.compactMap { $0.categories["\(name) exact_match"] }),
            mean(group.compactMap { $0.categories["\(name) rougeL"] })
          ))
      }
      if !categoryRows.isEmpty {
        context.print("per category, \(model) at K = \(K) (exact match, ROUGE-L):")
        for row in categoryRows { context.print(String(format: "  %@  %.2f  %.2f", row.0, row.1, row.2)) }
      }
    }
    try report(points, models: models, fits: fits, categories: categoryRows)
  }

  /// Exact match pooled over the runs' answers (×100) with its 95% Wilson interval.
  static func pooledExactMatch(_ group: [Point]) -> (value: Double, low: Double, high: Double)? {
    let n = group.map(\.answers).reduce(0, +)
    guard n > 0 else { return nil }
    return InstructionAnalysis.wilson(
      group.map { ($0.scores["exact_match"] ?? 0) / 100 * $0.answers }.reduce(0, +) / n, n)
  }

  func report(
    _ points: [Point], models: [String],
    fits: [(model: String, fit: (intercept: Double, slope: Double, low: Double, high: Double))],
    categories: [(String, Double, Double)]
  ) throws {
    let plots = InstructionMetricName.sniScores.map { metric in
      SVGPlot.againstCount(
        title: "\(metric) on unseen test tasks", xLabel: "K, training tasks tuned on", yLabel: "\(metric) ×100", points,
        models: models, model: \.model, count: \.K, average: { mean($0.compactMap { $0.scores[metric] }) },
        baselines: InstructionMetricName.sniBaselines.map { name in
          (name, points.compactMap { $0.baselines["\(name) \(metric)"] })
        })
    }
    let fitRows = fits.map { f in
      "<tr><td>\(f.model)</td><td>\(String(format: "%.2f", f.fit.intercept))</td><td>\(String(format: "%.2f [%.2f, %.2f]", f.fit.slope, f.fit.low, f.fit.high))</td></tr>"
    }.joined()
    let categoryRows = categories.map {
      "<tr><td>\($0.0.htmlEscaped)</td><td>\(String(format: "%.2f", $0.1))</td><td>\(String(format: "%.2f", $0.2))</td></tr>"
    }.joined()
    try context.writeReport(
      title: "Instruction tuning on Super-NaturalInstructions",
      body: """
        <h1>Instruction tuning on Super-NaturalInstructions: unseen tasks vs K</h1>
        <p>\(points.count) runs. Official exact match and ROUGE-L (×100) on the first instances of the split's test tasks, greedy decoding, computed as SNI's evaluation script computes them from each run's predictions.jsonl and references.jsonl (artifacts). Dashed: SNI's copy baselines.</p>
        <table><tr><th>model</th><th>a</th><th>b (ROUGE-L per doubling of K)</th></tr>\(fitRows)</table>
        <h2>Per category (largest model, largest K)</h2>
        <table><tr><th>category</th><th>exact match</th><th>ROUGE-L</th></tr>\(categoryRows)</table>
        \(plots.joined(separator: "\n"))
        """)
  }
}
