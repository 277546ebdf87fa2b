import ArgumentParser
import WorkbenchErrors
import WorkbenchRunLog

/// An experiment plugin: a typed config, a plan of runs, how to execute one run, and how to
/// analyse the finished runs. Plugins report metrics and files through their context and never
/// touch the run log directly.
///
/// Adding one: create `plugins/<Name>/`, add `<Name>` to `plugins` in Package.swift, and list the
/// type in `ExperimentRegistry`.
public protocol ExperimentPlugin: Sendable {
  /// The experiment's config as written in YAML under the host's keys (`plugin`, `name`, `seed`, …),
  /// declared key by key: decoding, the run key, `workbench plugins` and sweeps all come from its
  /// `fields`.
  associatedtype Config: ConfigSection

  /// The name experiment files use in `plugin:`. Never changes once released.
  static var id: String { get }
  /// Bump when a change alters results: runs are keyed by it, so a new version re-runs everything.
  static var version: String { get }
  /// One line for `workbench plugins`.
  static var summary: String { get }
  /// Subcommands the plugin adds to `workbench` (ArgumentParser commands: `workbench tasks`,
  /// `workbench score` are the instruction-tuning plugin's). Their names must not be the host's.
  static var commands: [any ParsableCommand.Type] { get }

  init()

  /// The runs one resolved config asks for (usually one). Throw `ConfigIssue` for invalid values.
  func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>]

  /// Executes one run; reports metrics through `context` and returns the run's summary.
  func execute(_ run: RunSpec<Config>, context: RunContext) throws -> RunSummary

  /// Analyses the experiment once every run has finished: tables, fits, reports.
  func analyze(_ runs: [FinishedRun<Config>], context: AnalysisContext) throws

  /// How `workbench generate` prompts a model one of this plugin's runs trained: the lines to
  /// print. The default, nil, leaves it to the host, which continues `request.prompt` byte by byte
  /// with the run's `checkpoint` artifact. Throw `GenerationError` for a request the run cannot
  /// answer (say which options to give).
  func generate(_ request: GenerationRequest, run: FinishedRun<Config>, source: GenerationSource) throws -> [String]?
}

extension ExperimentPlugin {
  public static var commands: [any ParsableCommand.Type] { [] }

  public func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    [RunSpec(config: config, seed: seed)]
  }

  public func analyze(_ runs: [FinishedRun<Config>], context: AnalysisContext) throws {}

  public func generate(_ request: GenerationRequest, run: FinishedRun<Config>, source: GenerationSource) throws
    -> [String]?
  { nil }
}

/// One run a plugin plans: its config (hashed into the run key), seed and a human label.
public struct RunSpec<Config: Codable & Sendable>: Sendable {
  public var config: Config
  public var seed: Int
  /// Extra words for the run's label (the host prefixes the swept values).
  public var label: String

  public init(config: Config, seed: Int, label: String = "") {
    self.config = config
    self.seed = seed
    self.label = label
  }
}

/// A complete run handed to `analyze` and `generate`: what the log recorded of it and its decoded
/// config. A plain value: plugins read runs through Kit, never through the run log's records.
public struct FinishedRun<Config: Codable & Sendable>: Sendable {
  /// The run key: a hash of the resolved config, plugin id and version, and seed.
  public let key: String
  public let label: String
  public let seed: Int
  /// `finished` or `diverged` in `analyze` (a run whose loss stopped being finite still has a
  /// result); in `generate`, whatever the run's status is.
  public let status: RunStatus
  /// The device it ran on (`cpu`, `vulkan:0`), as recorded.
  public let device: String?
  /// The summary the plugin's `execute` returned (N, D, C, final losses).
  public let summary: RunSummary
  public let config: Config
  /// The run's row in the log (metrics and fits are linked to it).
  let runID: Int64

  init(_ record: RunRecord, config: Config) {
    key = record.key
    label = record.label
    seed = Int(record.seed)
    status = record.status
    device = record.device
    summary = record.summary
    self.config = config
    runID = record.id!
  }
}

/// Documentation of one config key, for `workbench plugins`.
/// Made from the config's `fields` (`ConfigSection`), never written by hand.
public struct ConfigKey: Sendable {
  /// Dotted for keys of nested sections (`model.width`).
  public var path: String
  public var type: String
  /// nil for a required key.
  public var defaultValue: String?
  public var sweepable: Bool
  public var help: String
}

/// A config value a plugin refuses, with the key path it is about; the host adds the file position.
public struct ConfigIssue: WorkbenchError {
  public var code: ConfigError.Code { .invalidValue }
  public var path: ConfigPath
  public var message: String
  public var description: String { "'\(path)': \(message)" }

  public init(_ path: ConfigPath, _ message: String) {
    self.path = path
    self.message = message
  }
}
