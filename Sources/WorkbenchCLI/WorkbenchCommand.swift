import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog

/// `workbench`: runs language-model experiments described in YAML and records every run in SQLite.
public struct WorkbenchCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "workbench",
    abstract: "Small-scale language-model science: run experiments, log every run, fit the laws.",
    discussion: """
      Experiments are YAML files naming a plugin (`workbench plugins` lists them). Every run is
      recorded in one SQLite log (default ./workbench.sqlite; --log PATH or WORKBENCH_LOG).
      """,
    version: Workbench.version,
    subcommands: [
      RunCommand.self, RunsCommand.self, ShowCommand.self, QueryCommand.self, ExportCommand.self, LogCommand.self,
      GenerateCommand.self, FitCommand.self, PlanCommand.self, ReportCommand.self, PluginsCommand.self,
      BenchCommand.self, DevicesCommand.self, ScoreCommand.self, TasksCommand.self, StatusCommand.self,
      SweepMergeCommand.self, WorkerCommand.self, ServeCommand.self,
    ])

  public init() {}
}

/// `--log PATH`: which run log to use.
struct LogOptions: ParsableArguments {
  @Option(
    name: .customLong("log"),
    help: ArgumentHelp(
      "The run log (SQLite).", discussion: "Default: $WORKBENCH_LOG, else ./workbench.sqlite.", valueName: "path"))
  var explicitPath: String?

  /// The log path: --log, else $WORKBENCH_LOG, else workbench.sqlite in the working directory.
  var path: String {
    explicitPath ?? ProcessInfo.processInfo.environment["WORKBENCH_LOG"].flatMap { $0.isEmpty ? nil : $0 }
      ?? "workbench.sqlite"
  }
}

/// A command that cannot do what was asked: one line on stderr, exit status 1 (no usage text,
/// unlike ArgumentParser's `ValidationError`, which is for malformed arguments).
struct CLIError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Prints to standard output.
func emit(_ line: String) {
  print(line)
}

extension RunLog {
  /// The experiments' names by id, and the id of `name` when a command was asked for one
  /// (`--experiment`): an error listing the log's experiments when it has no such one.
  func experimentNames(selecting name: String?) throws -> (names: [Int64: String], selected: Int64?) {
    let names = Dictionary(uniqueKeysWithValues: try experiments().map { ($0.id!, $0.name) })
    guard let name else { return (names, nil) }
    guard let id = names.first(where: { $0.value == name })?.key else {
      throw CLIError("no experiment '\(name)' in \(path); it has: \(names.values.sorted().joined(separator: ", "))")
    }
    return (names, id)
  }
}
