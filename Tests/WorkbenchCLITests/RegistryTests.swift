import ExperimentRegistry
import Foundation
import Testing
import WorkbenchKit
import WorkbenchTestSupport

@testable import WorkbenchCLI

@Suite struct RegistryTests {
  @Test func pluginFoldersPackageAndRegistryAgree() throws {
    let folders = try FileManager.default.contentsOfDirectory(
      atPath: packageRoot.appendingPathComponent("plugins").path
    )
    .filter { !$0.hasPrefix(".") }.sorted()
    #expect(Set(ExperimentRegistry.folders.values).sorted() == folders)
    #expect(ExperimentRegistry.plugins.map(\.id).sorted() == ExperimentRegistry.folders.keys.sorted())
    let manifest = try String(contentsOf: packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
    let line = try #require(manifest.split(separator: "\n").first { $0.hasPrefix("let plugins = [") })
    let listed = line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
      .sorted()
    #expect(listed == folders)
  }

  /// Every plugin's config is one declaration per key: documentation, decoding, encoding and the
  /// sweepable set come from it, and no stored property is left out of it.
  @Test func everyPluginDeclaresItsConfigKeyByKey() {
    for plugin in ExperimentRegistry.plugins {
      #expect(plugin.configDeclarationProblems.isEmpty, "\(plugin.id): \(plugin.configDeclarationProblems)")
      let paths = plugin.configKeys.map(\.path)
      #expect(Set(paths).count == paths.count, "\(plugin.id) documents a key twice")
      #expect(plugin.configKeys.allSatisfy { !$0.help.isEmpty && !$0.type.isEmpty }, "\(plugin.id)")
    }
  }

  @Test func pluginIDsAreUnique() {
    let ids = ExperimentRegistry.plugins.map(\.id)
    #expect(Set(ids).count == ids.count)
  }

  /// Plugins add their subcommands to `workbench`: the built-in ones are listed under their names
  /// and none shadows a host command.
  @Test func pluginCommandsJoinTheHostsWithoutAClash() throws {
    #expect(InstalledPlugins.clash(in: ExperimentRegistry.plugins, hostCommands: hostNames) == nil)
    let instruction = try #require(ExperimentRegistry.plugins.first { $0.id == "instruction-tuning" })
    #expect(instruction.commands.map { $0._commandName } == ["tasks", "score"])
    #expect(!hostNames.contains("tasks") && !hostNames.contains("score"))
  }

  /// The mistakes a package of its own can make are found before the command line runs.
  @Test func aRepeatedPluginOrCommandNameIsReported() {
    let plugins = ExperimentRegistry.plugins
    #expect(
      InstalledPlugins.clash(in: plugins + [plugins[0]], hostCommands: hostNames)
        == "two plugins have the id '\(plugins[0].id)'")
    #expect(
      InstalledPlugins.clash(in: plugins, hostCommands: hostNames + ["tasks"])
        == "plugin instruction-tuning adds a command 'tasks' that workbench already has")
  }

  /// Plugins read runs and metrics through Kit's values: none imports the run log (its database
  /// records), in this repository or in the example package.
  @Test func pluginsDoNotImportTheRunLog() throws {
    var importing: [String] = []
    for folder in ["plugins", "examples"] {
      let root = packageRoot.appendingPathComponent(folder)
      let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
      for file in files where file.hasSuffix(".swift") && !file.contains(".build") {
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        if text.contains("import WorkbenchRunLog") || text.contains("import GRDB") { importing.append(file) }
      }
    }
    #expect(importing.isEmpty, "\(importing)")
  }

  private var hostNames: [String] { WorkbenchCommand.hostCommands.map { $0._commandName } }
}
