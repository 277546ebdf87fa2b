import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog

struct ReportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Analyse an experiment's finished runs again and write its report (report.html) to a folder.",
    discussion: """
      Refits from the log (the fits are stored again) and writes the plugin's report, e.g.
        workbench report kaplan -o reports/kaplan
      """)

  @Argument(help: "The experiment.") var experiment: String
  @Option(name: .shortAndLong, help: "The folder for the report (created when missing).") var output: String
  @OptionGroup var log: LogOptions

  func run() throws {
    let runLog = try RunLog(path: log.path)
    guard let record = try runLog.experiment(named: experiment) else {
      throw CommandError("no experiment '\(experiment)' in \(runLog.path)")
    }
    guard let plugin = InstalledPlugins.plugin(id: record.plugin) else {
      throw CommandError(
        "experiment '\(experiment)' was run by plugin '\(record.plugin)', which this workbench does not have")
    }
    let directory = URL(fileURLWithPath: output)
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    } catch {
      throw CommandError("cannot create \(output): \(error.localizedDescription)")
    }
    try plugin.analyze(experiment: record, log: runLog, directory: directory, output: emit)
  }
}
