import ArgumentParser
import Foundation
import WorkbenchFiles
import WorkbenchKit
import WorkbenchRunLog

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export runs (and metrics) to CSV or JSON, for pandas, R or a spreadsheet.",
    discussion: """
      CSV: one row per run, or with --metrics one row per metric point (run key, name, step, value,
      tokens, flops, elapsed_s). JSON: an array of runs, each with its metrics under "metrics".
      """)

  enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json }

  @Option(name: .shortAndLong, help: "Only runs of this experiment.")
  var experiment: String?

  @Option(name: .shortAndLong, help: "csv or json.")
  var format: Format = .csv

  @Flag(help: "CSV: export metric points instead of runs.")
  var metrics = false

  @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
  var output: String?

  @OptionGroup var log: LogOptions

  func run() throws {
    let runLog = try RunLog(path: log.path, readOnly: true)
    let (experiments, experimentID) = try runLog.experimentNames(selecting: experiment)
    let runs = try runLog.runs(experimentID: experimentID)
    var text = ""
    switch format {
    case .json:
      let objects = try runs.map { run in
        RunJSON(
          run, experiment: experiments[run.experimentID] ?? "?",
          metrics: MetricJSON.grouped(try runLog.metrics(runID: run.id!)))
      }
      text = try RunJSON.encode(objects) + "\n"
    case .csv where metrics:
      text = "run_key,experiment,name,step,value,tokens,flops,elapsed_s\n"
      for run in runs {
        for m in try runLog.metrics(runID: run.id!) {
          let cells = [
            run.key, experiments[run.experimentID] ?? "?", m.name, String(m.step), String(m.value),
            m.tokens.map { String($0) } ?? "", m.flops.map { String($0) } ?? "",
            m.elapsedSeconds.map { String($0) } ?? "",
          ]
          text += cells.map(\.csvField).joined(separator: ",") + "\n"
        }
      }
    case .csv:
      text =
        "key,experiment,label,plugin,plugin_version,seed,status,device,host,duration_s,N,N_total,D,C,final_train_loss,final_val_loss,config\n"
      for run in runs {
        let cells: [String] = [
          run.key, experiments[run.experimentID] ?? "?", run.label, run.plugin, run.pluginVersion, String(run.seed),
          run.status.rawValue, run.device ?? "", run.host ?? "", run.durationSeconds.map { String($0) } ?? "",
          run.N.map { String($0) } ?? "", run.NTotal.map { String($0) } ?? "", run.D.map { String($0) } ?? "",
          run.C.map { String($0) } ?? "", run.finalTrainLoss.map { String($0) } ?? "",
          run.finalValLoss.map { String($0) } ?? "", run.config,
        ]
        text += cells.map(\.csvField).joined(separator: ",") + "\n"
      }
    }
    if let output {
      do {
        try Data(text.utf8).writeAtomically(to: URL(fileURLWithPath: output))
      } catch {
        throw CommandError("cannot write \(output): \(error.localizedDescription)")
      }
      writeStandardErrorLine("wrote \(runs.count) runs to \(output)")
    } else {
      FileHandle.standardOutput.write(Data(text.utf8))
    }
  }
}
