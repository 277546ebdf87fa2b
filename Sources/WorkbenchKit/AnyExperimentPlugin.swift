import ArgumentParser
import Foundation
import WorkbenchRunLog

/// A plugin with its config type erased, so the host can hold every plugin in one list.
public struct AnyExperimentPlugin: Sendable {
  public let id: String
  public let version: String
  public let summary: String
  public let configKeys: [ConfigKey]
  /// What keeps the config from being one declaration per key: empty when every stored property
  /// of `Config` (nested sections too) is filled by exactly one declared key.
  public let configDeclarationProblems: [String]
  /// The subcommands the plugin adds to `workbench`.
  public let commands: [any ParsableCommand.Type]
  let planRuns: @Sendable (SweepPoint, ConfigDecoding, Int) throws -> [PlannedRun]
  let analyzeRuns: @Sendable ([RunRecord], AnalysisContext) throws -> Void
  let generateFromRun: @Sendable (GenerationRequest, GenerationSource) throws -> [String]?

  public init<P: ExperimentPlugin>(_ type: P.Type) {
    id = P.id
    version = P.version
    summary = P.summary
    configKeys = P.Config.configKeys
    commands = P.commands
    configDeclarationProblems = P.Config.undeclaredProperties
    planRuns = { point, decoding, seed in
      let plugin = P()
      let pluginTree = ConfigNode(
        .mapping((point.tree.entries ?? []).filter { !ExperimentHeader.keys.contains($0.key) }), at: point.tree.location
      )
      let config = try decoding.decode(P.Config.self, from: pluginTree)
      decoding.markKnown(ExperimentHeader.keys, at: ConfigPath([]), in: pluginTree)
      let specs: [RunSpec<P.Config>]
      do {
        specs = try plugin.plan(config, seed: seed)
      } catch let issue as ConfigIssue {
        let location = point.tree.value(at: issue.path)?.location ?? point.tree.location
        throw ConfigError(.invalidValue, at: location, issue.description)
      }
      return try specs.map { spec in
        let json = try canonicalJSON(spec.config)
        let key = RunKey.make(plugin: P.id, version: P.version, seed: spec.seed, canonicalConfig: json)
        let label = [point.label, spec.label].filter { !$0.isEmpty }.joined(separator: " ")
        return PlannedRun(
          key: key, label: label, seed: spec.seed, configJSON: json,
          execute: { context in try plugin.execute(spec, context: context) })
      }
    }
    analyzeRuns = { records, context in
      let decoder = JSONDecoder()
      let runs = try records.map { record in
        FinishedRun(record, config: try decoder.decode(P.Config.self, from: Data(record.config.utf8)))
      }
      try P().analyze(runs, context: context)
    }
    generateFromRun = { request, source in
      let config: P.Config
      do {
        config = try JSONDecoder().decode(P.Config.self, from: Data(source.record.config.utf8))
      } catch {
        throw GenerationError(
          .unreadableConfig,
          "run \(source.record.key.prefix(8)): its logged config is not a \(P.id) config this workbench reads "
            + "(\(error))")
      }
      return try P().generate(request, run: FinishedRun(source.record, config: config), source: source)
    }
  }
}

extension AnyExperimentPlugin {
  /// Runs this plugin's analysis over the complete runs of `experiment` in `log`, writing reports
  /// to `directory` (what `workbench report` does, and what `workbench run` does after a sweep).
  public func analyze(
    experiment: ExperimentRecord, log: RunLog, directory: URL, output: @escaping (String) -> Void
  ) throws {
    let runs = try log.runs(experimentID: experiment.id, statuses: [.finished, .diverged])
      .filter { $0.plugin == id && $0.pluginVersion == version }
    let context = AnalysisContext(experiment: experiment, directory: directory, log: log, output: output)
    try analyzeRuns(runs, context)
  }
}

/// One run of a resolved experiment, ready to execute.
public struct PlannedRun: Sendable {
  public let key: String
  public let label: String
  public let seed: Int
  /// The canonical resolved config (sorted-key JSON) the key was computed from.
  public let configJSON: String
  let execute: @Sendable (RunContext) throws -> RunSummary
}

/// Run keys: the first 16 hex digits of SHA-256 over plugin id, plugin version, seed and the
/// canonical config. Equal configs give equal keys however they were spelled in YAML.
public enum RunKey {
  public static func make(plugin: String, version: String, seed: Int, canonicalConfig: String) -> String {
    String(SHA256.hex("workbench-run-v1\n\(plugin)\n\(version)\n\(seed)\n\(canonicalConfig)").prefix(16))
  }
}

/// JSON with sorted keys and no escaped slashes: one spelling per config.
public func canonicalJSON<T: Encodable>(_ value: T) throws -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  return String(decoding: try encoder.encode(value), as: UTF8.self)
}
