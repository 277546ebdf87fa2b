import ArgumentParser
import Foundation
import Synchronization
import WorkbenchKit
import WorkbenchRunLog

/// `workbench`: runs language-model experiments described in YAML and records every run in SQLite.
///
/// The executable names the plugins it is built with: `workbench` itself runs
/// `WorkbenchCommand.main(plugins: ExperimentRegistry.plugins)`; a package of one's own adds its
/// plugins to that list (`examples/external-plugin`).
public struct WorkbenchCommand: ParsableCommand {
  public static var configuration: CommandConfiguration {
    CommandConfiguration(
      commandName: "workbench",
      abstract: "Small-scale language-model science: run experiments, log every run, fit the laws.",
      discussion: """
        Experiments are YAML files naming a plugin (`workbench plugins` lists them). Every run is
        recorded in one SQLite log (default ./workbench.sqlite; --log PATH or WORKBENCH_LOG).
        """,
      version: Workbench.version,
      subcommands: hostCommands + InstalledPlugins.all.flatMap(\.commands))
  }

  /// The host's own subcommands (plugins add theirs after these).
  static let hostCommands: [any ParsableCommand.Type] = [
    RunCommand.self, RunsCommand.self, ShowCommand.self, QueryCommand.self, ExportCommand.self, LogCommand.self,
    GenerateCommand.self, FitCommand.self, PlanCommand.self, ReportCommand.self, PluginsCommand.self,
    BenchCommand.self, DevicesCommand.self, StatusCommand.self, SweepMergeCommand.self, WorkerCommand.self,
    ServeCommand.self,
  ]

  public init() {}

  /// Runs the command line with `plugins` installed. Two plugins with one id, or a plugin command
  /// named like another command, is a mistake of the build: reported, exit status 70.
  public static func main(plugins: [AnyExperimentPlugin]) {
    if let clash = InstalledPlugins.clash(in: plugins, hostCommands: hostCommands.map { $0._commandName }) {
      writeStandardErrorLine("workbench: this build is inconsistent: \(clash)")
      Foundation.exit(70)
    }
    InstalledPlugins.install(plugins)
    main()
  }
}

/// The plugins this executable was built with (set once, by `WorkbenchCommand.main(plugins:)`).
public enum InstalledPlugins {
  private static let installed = Mutex<[AnyExperimentPlugin]>([])

  /// Every installed plugin, in the order `workbench plugins` lists them.
  public static var all: [AnyExperimentPlugin] { installed.withLock { $0 } }

  /// The plugin whose id is `id` (a run record's `plugin`), if this build has it.
  public static func plugin(id: String) -> AnyExperimentPlugin? { all.first { $0.id == id } }

  static func install(_ plugins: [AnyExperimentPlugin]) { installed.withLock { $0 = plugins } }

  /// What makes `plugins` unusable together: a repeated plugin id, or a subcommand name used twice.
  public static func clash(in plugins: [AnyExperimentPlugin], hostCommands: [String]) -> String? {
    var ids = Set<String>()
    for plugin in plugins where !ids.insert(plugin.id).inserted { return "two plugins have the id '\(plugin.id)'" }
    var names = Set(hostCommands + ["help"])  // ArgumentParser's own
    for plugin in plugins {
      for command in plugin.commands where !names.insert(command._commandName).inserted {
        return "plugin \(plugin.id) adds a command '\(command._commandName)' that workbench already has"
      }
    }
    return nil
  }
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
      throw CommandError("no experiment '\(name)' in \(path); it has: \(names.values.sorted().joined(separator: ", "))")
    }
    return (names, id)
  }
}
