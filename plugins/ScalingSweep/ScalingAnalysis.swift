import Foundation
import WorkbenchFit
import WorkbenchKit

/// The analysis after a scaling sweep: fits, frontier, extrapolation check, plan and report.
struct ScalingAnalysis {
  let runs: [FinishedRun<ScalingSweepConfig>]
  let context: AnalysisContext

  /// One learning-curve point of a run.
  struct CurvePoint {
    var run: Int
    var step: Int
    var point: ScalingPoint
  }

  func run() throws {
    let minN = runs.first?.config.analysis.minN ?? 0
    let finished = runs.filter {
      $0.status == .finished && $0.summary.finalValLoss != nil && Double($0.summary.N ?? 0) >= minN
    }
    guard let settings = finished.first?.config.analysis else {
      context.print("\(context.experimentName): no finished runs to analyse")
      return
    }
    let fitter = ScalingFitter()
    let finals = finished.map { run in
      ScalingPoint(
        N: Double(run.summary.N ?? 0), D: Double(run.summary.D ?? 0), C: run.summary.C ?? 0,
        loss: run.summary.finalValLoss!)
    }
    var curves: [CurvePoint] = []
    for (index, run) in finished.enumerated() {
      for metric in try context.metrics(of: run, .valLoss) where metric.step > settings.warmupSteps {
        let tokens = Double(metric.tokens ?? 0)
        curves.append(
          CurvePoint(
            run: index, step: metric.step,
            point: ScalingPoint(N: Double(run.summary.N ?? 0), D: tokens, C: metric.flops ?? 0, loss: metric.value)))
      }
    }
    let sizes = Set(finals.map(\.N)).sorted()
    context.print(
      String(
        format: "%@: %d runs, %d sizes, N %.3g … %.3g (%.1f decades), D %.3g … %.3g tokens", context.experimentName,
        finished.count, sizes.count, sizes.first ?? 0, sizes.last ?? 0, log10((sizes.last ?? 1) / (sizes.first ?? 1)),
        finals.map(\.D).min() ?? 0, finals.map(\.D).max() ?? 0))

    var keptFinals = Array(finals.indices)
    if settings.excludeTop > 0 {
      let dropped = Set(keptFinals.sorted { finals[$0].loss > finals[$1].loss }.prefix(settings.excludeTop))
      keptFinals = keptFinals.filter { !dropped.contains($0) }
    }
    let options = [
      "warmup_steps": String(settings.warmupSteps), "exclude_top": String(settings.excludeTop),
      "bootstrap": String(settings.bootstrap), "delta": "0.001", "min_N": String(minN),
    ]
    var fits: [String: ScalingFit] = [:]
    var table: [[String]] = []
    func record(_ label: String, _ form: ScalingForm, _ points: [ScalingPoint], runs used: [Int]) throws {
      guard var fit = try? fitter.fit(form, to: points) else {
        context.print("  \(label): not enough points to fit \(form.description)")
        return
      }
      if settings.bootstrap > 0 {
        fit.intervals = fitter.bootstrap(fit, points: points, resamples: settings.bootstrap, seed: 0)
      }
      fits[label] = fit
      try context.storeFit(
        form: form.description, parameters: fit.named, intervals: fit.intervals,
        options: options.merging(["law": label]) { $1 },
        runs: Set(used).sorted().map { finished[$0] }, pointCount: fit.pointCount, objective: fit.objective,
        r2: fit.r2)
      for (name, value) in zip(form.parameterNames, fit.parameters) {
        let interval = fit.intervals[name].map { String(format: "[%.4g, %.4g]", $0[0], $0[1]) } ?? "-"
        table.append([label, name, String(format: "%.4g", value), interval, String(format: "%.4f", fit.r2)])
      }
    }
    // L(N) compares sizes trained on one token budget: the budget shared by the most sizes.
    let byBudget = Dictionary(grouping: keptFinals) { finals[$0].D.rounded() }
    let sameBudget =
      byBudget.values.max { Set($0.map { finals[$0].N }).count < Set($1.map { finals[$0].N }).count } ?? []
    let singleBudget = byBudget.count == 1
    if Set(sameBudget.map { finals[$0].N }).count >= 4 {
      try record("L(N)", .powerWithOffset(.N), sameBudget.map { finals[$0] }, runs: sameBudget)
    } else {
      context.print(
        "  L(N): needs at least 4 sizes trained on one token budget (an IsoFLOP sweep has none; see the Chinchilla form)"
      )
    }
    if let largest = sizes.last {
      let curve = curves.filter { $0.point.N == largest }
      try record("L(D)", .powerWithOffset(.D), curve.map(\.point), runs: curve.map(\.run))
    }
    let envelope = ComputeOptimal.envelope(curves.map(\.point), bins: 16)
    try record(
      "L(C)", .powerWithOffset(.C), envelope.frontier.map { ScalingPoint(N: $0.N, D: $0.D, C: $0.C, loss: $0.loss) },
      runs: Array(finished.indices))
    try record("Chinchilla", .chinchilla, curves.map(\.point), runs: curves.map(\.run))

    context.print("  law         parameter        value  95% interval                  R²")
    for row in table {
      context.print(
        "  " + row[0].padding(toLength: 12, withPad: " ", startingAt: 0)
          + row[1].padding(toLength: 10, withPad: " ", startingAt: 0)
          + row[2].leftPadded(to: 11) + "  " + row[3].padding(toLength: 28, withPad: " ", startingAt: 0) + row[4])
    }
    for (label, variable) in [("L(N)", "N"), ("L(D)", "D"), ("L(C)", "C")] {
      if let fit = fits[label], let alpha = fit.named["alpha"] {
        let interval = fit.intervals["alpha"].map { String(format: " [%.3f, %.3f]", $0[0], $0[1]) } ?? ""
        context.print(String(format: "  alpha_%@ = %.3f%@  (R² %.3f)", variable, alpha, interval, fit.r2))
      }
    }

    // Compute-optimal allocation, three ways.
    if let a = envelope.N?.exponent, let b = envelope.D?.exponent {
      context.print(
        String(
          format: "  approach 1 (frontier of %d points): N_opt ∝ C^%.3f, D_opt ∝ C^%.3f", envelope.frontier.count, a, b)
      )
    }
    let budgets = Dictionary(grouping: finished.indices.filter { finished[$0].config.budget.compute != nil }) {
      finished[$0].config.budget.compute!
    }
    if budgets.count >= 2 {
      let groups = budgets.map { C, members in (C: C, points: members.map { (x: finals[$0].N, loss: finals[$0].loss) })
      }
      let isoFLOP = ComputeOptimal.isoFLOP(groups)
      for profile in isoFLOP.profiles {
        if case .refused(let C, let reason) = profile {
          context.print(String(format: "  warning: budget %.3g refused: %@", C, reason))
        }
      }
      if let a = isoFLOP.N?.exponent, let b = isoFLOP.D?.exponent {
        context.print(String(format: "  approach 2 (IsoFLOP parabolas): N_opt ∝ C^%.3f, D_opt ∝ C^%.3f", a, b))
      }
    }
    if let chinchilla = fits["Chinchilla"]?.named {
      let a = chinchilla["beta"]! / (chinchilla["alpha"]! + chinchilla["beta"]!)
      context.print(String(format: "  approach 3 (Chinchilla form): N_opt ∝ C^%.3f, D_opt ∝ C^%.3f", a, 1 - a))
      context.print(
        String(
          format: "  with 100x more compute: N ×%.2f, D ×%.2f (Kaplan 2020: ×28.8, ×3.47)", pow(100, a), pow(100, 1 - a)
        ))
    }

    // Extrapolation: fit the smaller sizes, predict the held-out larger ones.
    // L(N) = E + A/N^alpha has three parameters: at least four smaller sizes must remain.
    let holdout = min(settings.holdout, max(0, sizes.count - 4))
    if settings.holdout > 0 && holdout == 0 {
      context.print(
        "  extrapolation: not checked (it needs at least \(4 + settings.holdout) sizes; the sweep has \(sizes.count))")
    }
    if holdout > 0 {
      let cut = sizes[sizes.count - holdout]
      let large = finals.filter { $0.N >= cut }
      // One token budget: L(N) on the smaller sizes' final losses. Several: the Chinchilla form on
      // the smaller sizes' learning curves.
      let (label, fit): (String, ScalingFit?) =
        singleBudget
        ? (
          "L(N)", try? fitter.fit(.powerWithOffset(.N), to: keptFinals.filter { finals[$0].N < cut }.map { finals[$0] })
        )
        : ("the Chinchilla form", try? fitter.fit(.chinchilla, to: curves.filter { $0.point.N < cut }.map(\.point)))
      if let fit {
        let errors = large.map { abs(fit.predict($0) / $0.loss - 1) }
        let mean = errors.reduce(0, +) / Double(max(1, errors.count))
        context.print(
          String(
            format:
              "  extrapolation: %@ fitted below N = %.3g predicts the %d larger runs within %.2f%% (mean |error|)",
            label,
            cut, large.count, mean * 100))
      }
    }
    let report = ScalingReport(runs: finished, curves: curves, finals: finals, fits: fits, frontier: envelope.frontier)
    try context.writeReport(title: "Scaling laws", body: report.body())
  }
}

extension String {
  func leftPadded(to width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
