import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog

struct PluginsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plugins", abstract: "List the plugins compiled in, with their config keys.")

  @Flag(help: "Print JSON.")
  var json = false

  func run() throws {
    let plugins = InstalledPlugins.all
    if json {
      let objects: [JSONValue] = plugins.map { plugin in
        .object([
          "id": .string(plugin.id), "version": .string(plugin.version), "summary": .string(plugin.summary),
          "commands": .array(plugin.commands.map { .string($0._commandName) }),
          "keys": .array(
            plugin.configKeys.map { key in
              .object([
                "key": .string(key.path), "type": .string(key.type),
                "default": key.defaultValue.map(JSONValue.string) ?? .null, "sweepable": .bool(key.sweepable),
                "help": .string(key.help),
              ])
            }),
        ])
      }
      emit(try RunJSON.encode(objects))
      return
    }
    for (index, plugin) in plugins.enumerated() {
      if index > 0 { emit("") }
      emit("\(plugin.id) (version \(plugin.version)): \(plugin.summary)")
      var table = TextTable(["  KEY", "TYPE", "DEFAULT", "SWEEP", "MEANING"])
      for key in plugin.configKeys {
        table.append(["  " + key.path, key.type, key.defaultValue ?? "required", key.sweepable ? "yes" : "", key.help])
      }
      emit(table.render())
      if !plugin.commands.isEmpty {
        emit("  commands it adds: " + plugin.commands.map { "workbench \($0._commandName)" }.joined(separator: ", "))
      }
    }
    emit("")
    emit("Every experiment also takes: plugin, name, description, seed (sweepable), retries, sweep.")
  }
}
