import ArgumentParser
import Foundation
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
    let experiments = Dictionary(uniqueKeysWithValues: try runLog.experiments().map { ($0.id!, $0.name) })
    var experimentID: Int64?
    if let experiment {
      guard let id = experiments.first(where: { $0.value == experiment })?.key else {
        throw CLIError(
          "no experiment '\(experiment)' in \(runLog.path); it has: \(experiments.values.sorted().joined(separator: ", "))"
        )
      }
      experimentID = id
    }
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

/// A run as `runs --json` and `export` print it.
struct RunJSON: Encodable {
  var key: String
  var experiment: String
  var label: String
  var plugin: String
  var pluginVersion: String
  var seed: Int64
  var status: String
  var attempts: Int
  var device: String?
  var host: String?
  var workbenchVersion: String?
  var gitRevision: String?
  var createdAt: Date
  var startedAt: Date?
  var finishedAt: Date?
  var durationSeconds: Double?
  var error: String?
  var N: Int64?
  var NTotal: Int64?
  var D: Int64?
  var C: Double?
  var finalTrainLoss: Double?
  var finalValLoss: Double?
  var config: JSONFragment
  var metrics: [String: [MetricJSON]]?

  enum CodingKeys: String, CodingKey {
    case key, experiment, label, plugin, seed, status, attempts, device, host, error, N, D, C, config, metrics
    case pluginVersion = "plugin_version"
    case workbenchVersion = "workbench_version"
    case gitRevision = "git_revision"
    case createdAt = "created_at"
    case startedAt = "started_at"
    case finishedAt = "finished_at"
    case durationSeconds = "duration_s"
    case NTotal = "N_total"
    case finalTrainLoss = "final_train_loss"
    case finalValLoss = "final_val_loss"
  }

  init(_ run: RunRecord, experiment: String, metrics: [String: [MetricJSON]]? = nil) {
    key = run.key
    self.experiment = experiment
    label = run.label
    plugin = run.plugin
    pluginVersion = run.pluginVersion
    seed = run.seed
    status = run.status.rawValue
    attempts = run.attempts
    device = run.device
    host = run.host
    workbenchVersion = run.workbenchVersion
    gitRevision = run.gitRevision
    createdAt = run.createdAt
    startedAt = run.startedAt
    finishedAt = run.finishedAt
    durationSeconds = run.durationSeconds
    error = run.error
    N = run.N
    NTotal = run.NTotal
    D = run.D
    C = run.C
    finalTrainLoss = run.finalTrainLoss
    finalValLoss = run.finalValLoss
    config = JSONFragment(run.config)
    self.metrics = metrics
  }

  static func encode<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}

/// One metric point in JSON output.
struct MetricJSON: Encodable {
  var step: Int64
  var value: Double
  var tokens: Int64?
  var flops: Double?
  var elapsedSeconds: Double?

  enum CodingKeys: String, CodingKey {
    case step, value, tokens, flops
    case elapsedSeconds = "elapsed_s"
  }
}

/// Already-encoded JSON embedded as is (a run's canonical config).
struct JSONFragment: Encodable {
  var value: JSONValue

  init(_ text: String) { value = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text) }

  func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// Any JSON value, decoded and re-encoded without loss of integers.
enum JSONValue: Codable {
  case null
  case bool(Bool)
  case integer(Int64)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  init(from decoder: any Decoder) throws {
    if let container = try? decoder.container(keyedBy: PlainKey.self) {
      var object: [String: JSONValue] = [:]
      for key in container.allKeys { object[key.stringValue] = try container.decode(JSONValue.self, forKey: key) }
      self = .object(object)
    } else if var container = try? decoder.unkeyedContainer() {
      var array: [JSONValue] = []
      while !container.isAtEnd { array.append(try container.decode(JSONValue.self)) }
      self = .array(array)
    } else {
      let container = try decoder.singleValueContainer()
      if container.decodeNil() {
        self = .null
      } else if let value = try? container.decode(Bool.self) {
        self = .bool(value)
      } else if let value = try? container.decode(Int64.self) {
        self = .integer(value)
      } else if let value = try? container.decode(Double.self) {
        self = .number(value)
      } else {
        self = .string(try container.decode(String.self))
      }
    }
  }

  func encode(to encoder: any Encoder) throws {
    switch self {
    case .object(let object):
      var container = encoder.container(keyedBy: PlainKey.self)
      for (key, value) in object { try container.encode(value, forKey: PlainKey(key)) }
    case .array(let array):
      var container = encoder.unkeyedContainer()
      for value in array { try container.encode(value) }
    case .null:
      var container = encoder.singleValueContainer()
      try container.encodeNil()
    case .bool(let value):
      var container = encoder.singleValueContainer()
      try container.encode(value)
    case .integer(let value):
      var container = encoder.singleValueContainer()
      try container.encode(value)
    case .number(let value):
      var container = encoder.singleValueContainer()
      try container.encode(value)
    case .string(let value):
      var container = encoder.singleValueContainer()
      try container.encode(value)
    }
  }
}

extension JSONValue {
  /// The value as block-style YAML lines, keys sorted (how `--dry-run` shows a resolved config).
  func yamlLines() -> [String] {
    switch self {
    case .object(let object):
      return object.keys.sorted().flatMap { key -> [String] in
        let value = object[key]!
        switch value {
        case .object(let inner) where !inner.isEmpty: return ["\(key):"] + value.yamlLines().map { "  " + $0 }
        case .array(let inner) where !inner.isEmpty: return ["\(key):"] + value.yamlLines()
        default: return ["\(key): \(value.scalarText)"]
        }
      }
    case .array(let array):
      return array.flatMap { item -> [String] in
        let lines = item.yamlLines()
        guard let first = lines.first else { return ["- []"] }
        return ["- " + first] + lines.dropFirst().map { "  " + $0 }
      }
    default:
      return [scalarText]
    }
  }

  var scalarText: String {
    switch self {
    case .null: return "null"
    case .bool(let v): return String(v)
    case .integer(let v): return String(v)
    case .number(let v): return String(v)
    case .string(let v): return v.isEmpty || v.contains(": ") || v.hasPrefix(" ") ? "\"\(v)\"" : v
    case .array: return "[]"
    case .object: return "{}"
    }
  }
}

struct PlainKey: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(_ string: String) { stringValue = string }
  init?(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}
