import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog

extension RunStatus: ExpressibleByArgument {}

struct RunsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "runs", abstract: "List runs: key, experiment, status, N, D, C, losses, device, duration.")

  @Option(name: .shortAndLong, help: "Only runs of this experiment.")
  var experiment: String?

  @Option(
    name: .shortAndLong,
    help: "Only runs with this status: pending, running, finished, diverged, failed, interrupted, preempted.")
  var status: [RunStatus] = []

  @Flag(help: "Print JSON (one array of run objects) instead of a table.")
  var json = false

  @OptionGroup var log: LogOptions

  func run() throws {
    let runLog = try RunLog(path: log.path, readOnly: true)
    let (experiments, experimentID) = try runLog.experimentNames(selecting: experiment)
    let runs = try runLog.runs(experimentID: experimentID, statuses: status.isEmpty ? nil : status)
    if json {
      emit(try RunJSON.encode(runs.map { RunJSON($0, experiment: experiments[$0.experimentID] ?? "?") }))
      return
    }
    var table = TextTable(["KEY", "EXPERIMENT", "STATUS", "N", "D", "C", "TRAIN", "VAL", "DEVICE", "TIME", "LABEL"])
    for run in runs {
      table.append([
        String(run.key.prefix(12)), experiments[run.experimentID] ?? "?", run.status.rawValue, format(run.N),
        format(run.D), format(run.C), format(run.finalTrainLoss), format(run.finalValLoss), run.device ?? "-",
        run.durationSeconds.map { String(format: "%.1fs", $0) } ?? "-", run.label,
      ])
    }
    emit(table.render())
    let counts = Dictionary(grouping: runs, by: \.status).mapValues(\.count)
    let parts = RunStatus.allCases.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
    emit("\(runs.count) runs" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", ")))
  }
}
