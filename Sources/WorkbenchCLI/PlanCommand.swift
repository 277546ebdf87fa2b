import ArgumentParser
import Foundation
import WorkbenchFit
import WorkbenchKit
import WorkbenchRunLog

struct PlanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan",
    abstract: "With more compute, how much bigger should the model be and how many more tokens?",
    discussion: """
      Under the laws fitted to an experiment (Chinchilla-form fits in the log) and, beside them,
      the published laws built in (kaplan2020, hoffmann2022, epoch2024):
        workbench plan --law kaplan2020 --scale 100x
        workbench plan --compute 5.76e23
        workbench plan gpt-sweep --scale 100x        (relative to the experiment's largest run)
        workbench plan --compute 3pf-days --json
      """)

  @Argument(help: "An experiment with fits in the log (optional).") var experiment: String?
  @Option(help: "A compute multiple: 100x (relative to the experiment's largest run when one is given).")
  var scale: String?
  @Option(help: "Target training compute: FLOPs (5.76e23) or PF-days (3pf-days).") var compute: String?
  @Option(help: "Only this published law: kaplan2020, hoffmann2022, epoch2024.") var law: String?
  @Flag(help: "Print JSON.") var json = false
  @OptionGroup var log: LogOptions

  func validate() throws {
    if scale == nil && compute == nil {
      throw ValidationError("give --scale (e.g. 100x) or --compute (FLOPs or PF-days)")
    }
    if let scale, Self.parseScale(scale) == nil {
      throw ValidationError("--scale \(scale): write a positive multiple like 100x")
    }
    if let compute, Self.parseCompute(compute) == nil {
      throw ValidationError("--compute \(compute): write FLOPs (1e21) or PF-days (3pf-days)")
    }
    if let law, !PublishedLaw.all.contains(where: { $0.id == law }) {
      throw ValidationError("unknown law '\(law)'; built in: \(PublishedLaw.all.map(\.id).joined(separator: ", "))")
    }
  }

  static func parseScale(_ text: String) -> Double? {
    let trimmed = text.lowercased().hasSuffix("x") ? String(text.dropLast()) : text
    guard let value = Double(trimmed), value > 0 else { return nil }
    return value
  }

  static func parseCompute(_ text: String) -> Double? {
    let lower = text.lowercased().replacingOccurrences(of: " ", with: "")
    for suffix in ["pf-days", "pfdays", "pf-day"] where lower.hasSuffix(suffix) {
      return Double(lower.dropLast(suffix.count)).flatMap { $0 > 0 ? $0 * PublishedLaw.pfDay : nil }
    }
    return Double(lower).flatMap { $0 > 0 ? $0 : nil }
  }

  func run() throws {
    var base: Double?
    var fitted: [(name: String, N: AllocationLaw, D: AllocationLaw, parameters: [Double])] = []
    if let experiment {
      let runLog = try RunLog(path: log.path, readOnly: true)
      guard let record = try runLog.experiment(named: experiment) else {
        throw CommandError("no experiment '\(experiment)' in \(runLog.path)")
      }
      base = try runLog.runs(experimentID: record.id, statuses: [.finished]).compactMap(\.C).max()
      for fit in try runLog.fits(experimentID: record.id!) where fit.form == ScalingForm.chinchilla.description {
        guard let p = try? JSONDecoder().decode([String: Double].self, from: Data(fit.parameters.utf8)),
          let E = p["E"], let A = p["A"], let B = p["B"], let alpha = p["alpha"], let beta = p["beta"]
        else { continue }
        let (N, D) = ComputeOptimal.chinchilla(E: E, A: A, B: B, alpha: alpha, beta: beta)
        fitted.append(("\(experiment): \(fit.form)", N, D, [E, A, B, alpha, beta]))
      }
      if fitted.isEmpty {
        writeStandardErrorLine(
          "\(experiment) has no Chinchilla-form fit yet (workbench fit \(experiment) --form chinchilla); showing the published laws"
        )
      }
    }
    let factor = scale.flatMap(Self.parseScale) ?? 1
    let target = compute.flatMap(Self.parseCompute) ?? base.map { $0 * factor }
    let scaleFactor = compute.flatMap(Self.parseCompute).map { c in base.map { c / $0 } ?? factor } ?? factor
    var plans: [Plan] = fitted.map { fit in
      let loss = target.map { C in
        fit.parameters[0] + fit.parameters[1] / pow(fit.N(C), fit.parameters[3]) + fit.parameters[2]
          / pow(fit.D(C), fit.parameters[4])
      }
      return Plan(law: fit.name, source: "fitted", N: fit.N, D: fit.D, scale: scaleFactor, compute: target, loss: loss)
    }
    for published in PublishedLaw.all where law == nil || published.id == law {
      plans.append(
        Plan(
          law: published.id, source: published.source, N: published.N, D: published.D, scale: scaleFactor,
          compute: target,
          loss: target.flatMap { published.loss(at: $0) }))
    }
    if json {
      let objects: [JSONValue] = plans.map { plan in
        var object: [String: JSONValue] = [
          "law": .string(plan.law), "source": .string(plan.source), "scale": .number(scaleFactor),
          "n_factor": .number(plan.NFactor), "d_factor": .number(plan.DFactor),
        ]
        if let C = plan.C { object["compute_flops"] = .number(C) }
        if let N = plan.N { object["n_opt"] = .number(N) }
        if let D = plan.D { object["d_opt"] = .number(D) }
        if let loss = plan.loss { object["loss"] = .number(loss) }
        return .object(object)
      }
      emit(try RunJSON.encode(objects))
      return
    }
    if let target {
      emit(
        String(format: "compute: %.3g FLOPs (%.3g PF-days)", target, target / PublishedLaw.pfDay)
          + (scaleFactor != 1 ? String(format: ", %gx", scaleFactor) : ""))
    } else {
      emit(String(format: "compute: %gx", scaleFactor))
    }
    var table = TextTable(["LAW", "N ×", "D ×", "N_opt", "D_opt", "LOSS", "SOURCE"])
    for plan in plans {
      table.append([
        plan.law, String(format: "%.3g", plan.NFactor), String(format: "%.3g", plan.DFactor),
        plan.N.map { String(format: "%.3g", $0) } ?? "-", plan.D.map { String(format: "%.3g", $0) } ?? "-",
        plan.loss.map { String(format: "%.4g", $0) } ?? "-", plan.source,
      ])
    }
    emit(table.render())
  }
}
