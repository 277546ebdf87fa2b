import Foundation

/// A run as `runs --json`, `show --json`, `export` and `serve`'s JSON API print it: the run's
/// columns under their names in the log (`RunRecord.CodingKeys`), except the log's bookkeeping
/// (row ids, owner, heartbeat), with the config as a JSON object rather than a string; then the
/// experiment's name and, with `metrics`, its metric points by name. Absent values are left out.
public struct RunJSON: Encodable, Sendable {
  public var run: RunRecord
  public var experiment: String
  public var metrics: [String: [MetricJSON]]?

  public init(_ run: RunRecord, experiment: String, metrics: [String: [MetricJSON]]? = nil) {
    self.run = run
    self.experiment = experiment
    self.metrics = metrics
  }

  public func encode(to encoder: any Encoder) throws {
    let columns: [(RunRecord.CodingKeys, (any Encodable)?)] = [
      (.key, run.key), (.label, run.label), (.plugin, run.plugin), (.pluginVersion, run.pluginVersion),
      (.seed, run.seed), (.status, run.status), (.attempts, run.attempts), (.device, run.device), (.host, run.host),
      (.workbenchVersion, run.workbenchVersion), (.gitRevision, run.gitRevision), (.createdAt, run.createdAt),
      (.startedAt, run.startedAt), (.finishedAt, run.finishedAt), (.durationSeconds, run.durationSeconds),
      (.error, run.error), (.N, run.N), (.NTotal, run.NTotal), (.D, run.D), (.C, run.C),
      (.finalTrainLoss, run.finalTrainLoss), (.finalValLoss, run.finalValLoss), (.config, JSONFragment(run.config)),
    ]
    var object = encoder.container(keyedBy: PlainKey.self)
    for case (let key, let value?) in columns { try object.encode(value, forKey: PlainKey(key.stringValue)) }
    try object.encode(experiment, forKey: PlainKey("experiment"))
    try object.encodeIfPresent(metrics, forKey: PlainKey("metrics"))
  }

  /// Pretty, sorted-key JSON with ISO 8601 dates; infinities and NaN as strings.
  public static func encode<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self)
  }
}

/// One metric point in JSON output.
public struct MetricJSON: Encodable, Sendable {
  public var step: Int64
  public var value: Double
  public var tokens: Int64?
  public var flops: Double?
  public var elapsedSeconds: Double?

  enum CodingKeys: String, CodingKey {
    case step, value, tokens, flops
    case elapsedSeconds = "elapsed_s"
  }

  public init(step: Int64, value: Double, tokens: Int64? = nil, flops: Double? = nil, elapsedSeconds: Double? = nil) {
    self.step = step
    self.value = value
    self.tokens = tokens
    self.flops = flops
    self.elapsedSeconds = elapsedSeconds
  }

  public init(_ metric: MetricRecord) {
    step = metric.step
    value = metric.value
    tokens = metric.tokens
    flops = metric.flops
    elapsedSeconds = metric.elapsedSeconds
  }

  /// A run's metric points grouped by name, as `show --json` and `export` print them.
  public static func grouped(_ metrics: [MetricRecord]) -> [String: [MetricJSON]] {
    Dictionary(grouping: metrics, by: \.name).mapValues { $0.map(MetricJSON.init) }
  }
}

/// Already-encoded JSON embedded as is (a run's canonical config).
public struct JSONFragment: Encodable, Sendable {
  public var value: JSONValue

  public init(_ text: String) {
    value = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
  }

  public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

/// Any JSON value, decoded and re-encoded without loss of integers.
public enum JSONValue: Codable, Sendable, Equatable {
  case null
  case bool(Bool)
  case integer(Int64)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public init(from decoder: any Decoder) throws {
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

  public func encode(to encoder: any Encoder) throws {
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
    case .bool(let value): try value.encode(to: encoder)
    case .integer(let value): try value.encode(to: encoder)
    case .number(let value): try value.encode(to: encoder)
    case .string(let value): try value.encode(to: encoder)
    }
  }
}

extension JSONValue {
  /// The value as block-style YAML lines, keys sorted (how `--dry-run` shows a resolved config).
  public func yamlLines() -> [String] {
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

  public var scalarText: String {
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
