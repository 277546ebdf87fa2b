import ArgumentParser
import Foundation
import WorkbenchFit
import WorkbenchKit
import WorkbenchRunLog

extension ScalingForm: ExpressibleByArgument {
  public init?(argument: String) { self.init(name: argument) }
  public static var allValueStrings: [String] { all.map(\.name) }
}

struct FitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fit",
    abstract: "Fit a scaling law to an experiment's runs, or to a CSV file of external data.",
    discussion: """
      Forms: n, d, c (L = (X_c/X)^alpha), n+e, d+e, c+e (L = E + A/X^alpha), kaplan-nd, kaplan-ns,
      chinchilla (L = E + A/N^alpha + B/D^beta). The objective is the sum of Huber (delta 1e-3) of
      log-loss residuals, minimised by L-BFGS from a grid of starts (Hoffmann et al. 2022).
        workbench fit gpt-sweep --form chinchilla --bootstrap 200
        workbench fit --csv points.csv --columns N,D,loss --form chinchilla --exclude-top 5
      With an experiment the fit is stored in the log, linked to the runs it used.
      """)

  @Argument(help: "The experiment whose finished runs (N, D, C, final validation loss) are fitted.")
  var experiment: String?

  @Option(help: "The form to fit.") var form: ScalingForm
  @Option(help: "A CSV file (with a header row) to fit instead of an experiment.") var csv: String?
  @Option(help: "CSV columns for the form's variables then the loss, e.g. N,D,loss.") var columns: String?
  @Option(help: "Drop the K points with the highest loss before fitting.") var excludeTop = 0
  @Option(name: .customLong("min-N"), help: "Drop points with N below this.") var minN: Double?
  @Option(help: "Bootstrap resamples for 95% intervals (0: none).") var bootstrap = 200
  @Option(help: "Seed of the bootstrap.") var seed = 0
  @Flag(help: "Print JSON.") var json = false
  @OptionGroup var log: LogOptions

  func validate() throws {
    if (experiment == nil) == (csv == nil) { throw ValidationError("give an experiment or --csv FILE") }
    if csv != nil && columns == nil { throw ValidationError("--csv needs --columns, e.g. --columns N,D,loss") }
    if excludeTop < 0 || bootstrap < 0 { throw ValidationError("--exclude-top and --bootstrap must be 0 or more") }
  }

  func run() throws {
    var points: [ScalingPoint]
    var records: [RunRecord] = []
    var runLog: RunLog?
    var experimentID: Int64?
    if let csv {
      points = try Self.readCSV(csv, columns: columns!.split(separator: ",").map(String.init), form: form)
    } else {
      let opened = try RunLog(path: log.path)
      runLog = opened
      guard let record = try opened.experiment(named: experiment!) else {
        throw CommandError("no experiment '\(experiment!)' in \(opened.path)")
      }
      experimentID = record.id
      records = try opened.runs(experimentID: record.id, statuses: [.finished]).filter { $0.finalValLoss != nil }
      points = records.map {
        ScalingPoint(
          N: $0.N.map(Double.init) ?? .nan, D: $0.D.map(Double.init) ?? .nan, C: $0.C ?? .nan, loss: $0.finalValLoss!)
      }
    }
    var keep = Array(points.indices)
    if let minN { keep = keep.filter { points[$0].N >= minN } }
    if excludeTop > 0 {
      let cut = Set(keep.sorted { points[$0].loss > points[$1].loss }.prefix(excludeTop))
      keep = keep.filter { !cut.contains($0) }
    }
    points = keep.map { points[$0] }
    if !records.isEmpty { records = keep.map { records[$0] } }
    let fitter = ScalingFitter()
    var fit: ScalingFit
    do {
      fit = try fitter.fit(form, to: points)
    } catch {
      throw CommandError("\(error)")
    }
    if bootstrap > 0 { fit.intervals = fitter.bootstrap(fit, points: points, resamples: bootstrap, seed: UInt64(seed)) }
    var options = ["excludeTop": String(excludeTop), "bootstrap": String(bootstrap), "delta": "0.001"]
    if let minN { options["minN"] = String(minN) }
    if let runLog, let experimentID {
      try runLog.insertFit(
        FitRecord(
          experimentID: experimentID, form: form.description, parameters: fit.named, intervals: fit.intervals,
          options: options, pointCount: fit.pointCount, objective: fit.objective, r2: fit.r2),
        runIDs: records.compactMap(\.id))
    }
    if json {
      let object: JSONValue = .object([
        "form": .string(form.description), "parameters": .object(fit.named.mapValues(JSONValue.number)),
        "intervals": .object(fit.intervals.mapValues { .array($0.map(JSONValue.number)) }),
        "objective": .number(fit.objective), "r2": .number(fit.r2), "points": .integer(Int64(fit.pointCount)),
        "options": .object(options.mapValues(JSONValue.string)),
      ])
      emit(try RunJSON.encode(object))
      return
    }
    emit("\(form.description) fitted to \(fit.pointCount) points")
    var table = TextTable(["PARAMETER", "VALUE", "95% INTERVAL"])
    for (name, value) in zip(form.parameterNames, fit.parameters) {
      table.append([
        name, String(format: "%.6g", value),
        fit.intervals[name].map { String(format: "[%.4g, %.4g]", $0[0], $0[1]) } ?? "-",
      ])
    }
    emit(table.render())
    emit(String(format: "objective (Huber sum) %.6g   R² (log loss) %.4f", fit.objective, fit.r2))
    if form == .chinchilla {
      let p = fit.named
      let a = p["beta"]! / (p["alpha"]! + p["beta"]!)
      emit(String(format: "compute-optimal: N_opt ∝ C^%.3f, D_opt ∝ C^%.3f", a, 1 - a))
    }
  }

  /// Points from a CSV file: `columns` name the form's variables in order, then the loss.
  static func readCSV(_ path: String, columns: [String], form: ScalingForm) throws -> [ScalingPoint] {
    guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("cannot read \(path)") }
    return try ScalingPoint.csv(String(decoding: data, as: UTF8.self), columns: columns, form: form, file: path)
  }
}
