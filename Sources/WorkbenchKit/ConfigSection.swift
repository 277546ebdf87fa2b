import Foundation
import WorkbenchRunLog

/// A config declared key by key, in the spirit of ArgumentParser's `@Option`: each key's name,
/// type, default, sweepability and help are written once, in `fields`, and decoding (with the
/// file position of a bad value), encoding (the canonical JSON a run key hashes), `workbench
/// plugins` and sweep expansion all come from that list.
///
/// The defaults are the values `init()` gives; a required key's value there is a placeholder that
/// decoding always replaces. Adding a key is one property and one line in `fields`:
///
/// ```swift
/// public struct Training: ConfigSection {
///   public var steps = 0
///   public var warmupSteps = 50
///   public init() {}
///   public static var fields: [ConfigField<Self>] {
///     [
///       .required("steps", \.steps, sweepable: true, "optimizer steps"),
///       .key("warmup_steps", \.warmupSteps, "linear warm-up steps"),
///     ]
///   }
/// }
/// ```
public protocol ConfigSection: Codable, Sendable {
  /// Every key at its default (required keys at a placeholder).
  init()
  /// The keys, in the order `workbench plugins` lists them.
  static var fields: [ConfigField<Self>] { get }
  /// Checks and normalises what the fields decoded (e.g. a value that means "off" stored as nil).
  /// Throw `ConfigIssue` with a path relative to this section.
  mutating func finishDecoding() throws
}

extension ConfigSection {
  public mutating func finishDecoding() throws {}

  public init(from decoder: any Decoder) throws {
    self.init()
    let container = try decoder.container(keyedBy: ConfigFieldKey.self)
    for field in Self.fields { try field.decode(&self, container, decoder) }
    do {
      try finishDecoding()
    } catch let issue as ConfigIssue {
      throw DecodingError.dataCorrupted(
        DecodingError.Context(
          codingPath: decoder.codingPath + issue.path.components.map(ConfigFieldKey.init(stringValue:)),
          debugDescription: issue.message))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: ConfigFieldKey.self)
    for field in Self.fields { try field.encode(self, &container, encoder) }
  }

  /// The documented keys, nested sections spelled as dotted paths.
  public static var configKeys: [ConfigKey] { fields.flatMap(\.keys) }

  /// Sections (this one and those nested in it) with a stored property that no field declares:
  /// such a property would be neither read from experiment files nor part of the run key.
  public static var undeclaredProperties: [String] {
    let stored = Mirror(reflecting: Self()).children.count
    let declared = Set(fields.map(\.property)).count
    var mine: [String] = []
    if declared != fields.count { mine.append("\(Self.self): a property is filled by two declared keys") }
    if stored != declared { mine.append("\(Self.self): \(stored) stored properties, \(declared) declared") }
    return mine + fields.compactMap(\.section).flatMap { $0.undeclaredProperties }
  }
}

/// A key of a config mapping.
public struct ConfigFieldKey: CodingKey, Sendable {
  public var stringValue: String
  public var intValue: Int? { nil }
  public init(stringValue: String) { self.stringValue = stringValue }
  public init?(intValue: Int) { nil }
}

/// One declared key of a `ConfigSection`: how it decodes, encodes and reads in the documentation.
public struct ConfigField<Root> {
  /// The property it fills (two fields filling one property is a mistake `undeclaredProperties` finds).
  let property: AnyKeyPath
  /// The keys it documents, relative to `Root` (one, or a nested section's).
  public let keys: [ConfigKey]
  /// The declared type of a nested or inline section.
  var section: (any ConfigSection.Type)? = nil
  let decode: (inout Root, KeyedDecodingContainer<ConfigFieldKey>, any Decoder) throws -> Void
  let encode: (Root, inout KeyedEncodingContainer<ConfigFieldKey>, any Encoder) throws -> Void
}

extension ConfigField where Root: ConfigSection {
  /// A key every config must give.
  /// - Parameters:
  ///   - name: the key in the experiment file (`warmup_steps`).
  ///   - path: the property it fills.
  ///   - type: how the documentation spells the type (derived for numbers, strings, flags, lists
  ///     of them and `ConfigChoice`s when not given).
  ///   - sweepable: whether a list of values sweeps over the key (one run per value).
  ///   - help: one line for `workbench plugins`.
  public static func required<Value: Codable>(
    _ name: String, _ path: WritableKeyPath<Root, Value>, type: String? = nil, sweepable: Bool = false,
    _ help: String
  ) -> Self {
    let key = ConfigFieldKey(stringValue: name)
    return Self(
      property: path,
      keys: [ConfigKey(path: name, type: type ?? typeName(Value.self), sweepable: sweepable, help: help)],
      decode: { root, container, _ in root[keyPath: path] = try container.decode(Value.self, forKey: key) },
      encode: { root, container, _ in try container.encode(root[keyPath: path], forKey: key) })
  }

  /// A key with a default: the value `Root()` holds (`shown` spells it otherwise, e.g. a rule).
  public static func key<Value: Codable>(
    _ name: String, _ path: WritableKeyPath<Root, Value>, type: String? = nil, sweepable: Bool = false,
    default shown: String? = nil, _ help: String
  ) -> Self {
    let key = ConfigFieldKey(stringValue: name)
    return Self(
      property: path,
      keys: [
        ConfigKey(
          path: name, type: type ?? typeName(Value.self), defaultValue: shown ?? spelled(Root()[keyPath: path]),
          sweepable: sweepable, help: help)
      ],
      decode: { root, container, _ in
        if let value = try container.decodeIfPresent(Value.self, forKey: key) { root[keyPath: path] = value }
      },
      encode: { root, container, _ in try container.encode(root[keyPath: path], forKey: key) })
  }

  /// A key that may be left out (nil); `shown` says what leaving it out means.
  public static func optional<Value: Codable>(
    _ name: String, _ path: WritableKeyPath<Root, Value?>, type: String? = nil, sweepable: Bool = false,
    default shown: String = "none", _ help: String
  ) -> Self {
    let key = ConfigFieldKey(stringValue: name)
    return Self(
      property: path,
      keys: [
        ConfigKey(path: name, type: type ?? typeName(Value.self), defaultValue: shown, sweepable: sweepable, help: help)
      ],
      decode: { root, container, _ in root[keyPath: path] = try container.decodeIfPresent(Value.self, forKey: key) },
      encode: { root, container, _ in try container.encodeIfPresent(root[keyPath: path], forKey: key) })
  }

  /// A nested mapping of declared keys, documented as `name.<key>`; left out, its defaults
  /// (`required`: it must be given, as when it holds required keys).
  public static func section<Section: ConfigSection>(
    _ name: String, _ path: WritableKeyPath<Root, Section>, required: Bool = false
  ) -> Self {
    let key = ConfigFieldKey(stringValue: name)
    return Self(
      property: path, keys: Section.configKeys.map { $0.nested(in: name) }, section: Section.self,
      decode: { root, container, _ in
        if required {
          root[keyPath: path] = try container.decode(Section.self, forKey: key)
        } else if let section = try container.decodeIfPresent(Section.self, forKey: key) {
          root[keyPath: path] = section
        }
      },
      encode: { root, container, _ in try container.encode(root[keyPath: path], forKey: key) })
  }

  /// A nested mapping of declared keys that may be left out (nil).
  public static func optionalSection<Section: ConfigSection>(
    _ name: String, _ path: WritableKeyPath<Root, Section?>
  ) -> Self {
    let key = ConfigFieldKey(stringValue: name)
    return Self(
      property: path, keys: Section.configKeys.map { $0.nested(in: name) }, section: Section.self,
      decode: { root, container, _ in
        root[keyPath: path] = try container.decodeIfPresent(Section.self, forKey: key)
      },
      encode: { root, container, _ in try container.encodeIfPresent(root[keyPath: path], forKey: key) })
  }

  /// Another section's keys at this level (a config that extends another's keys).
  public static func inline<Section: ConfigSection>(_ path: WritableKeyPath<Root, Section>) -> Self {
    Self(
      property: path, keys: Section.configKeys, section: Section.self,
      decode: { root, _, decoder in root[keyPath: path] = try Section(from: decoder) },
      encode: { root, _, encoder in try root[keyPath: path].encode(to: encoder) })
  }
}

extension ConfigKey {
  /// This key inside the mapping `parent`.
  func nested(in parent: String) -> ConfigKey {
    var key = self
    key.path = parent + "." + path
    return key
  }
}

/// A value type that names itself in `workbench plugins` (`int`, `float`, `[int]`, `a | b`).
public protocol ConfigTyped {
  static var configType: String { get }
}

extension Int: ConfigTyped { public static var configType: String { "int" } }
extension Double: ConfigTyped { public static var configType: String { "float" } }
extension Bool: ConfigTyped { public static var configType: String { "bool" } }
extension String: ConfigTyped { public static var configType: String { "string" } }
extension Array: ConfigTyped where Element: ConfigTyped {
  public static var configType: String { "[\(Element.configType)]" }
}

extension ConfigChoice {
  public static var configType: String { allCases.map(\.rawValue).joined(separator: " | ") }
}

/// How the documentation spells `type`.
func typeName<Value>(_ type: Value.Type) -> String {
  if let typed = type as? any ConfigTyped.Type { return typed.configType }
  if let choice = type as? any ConfigChoice.Type { return choice.configType }
  return "value"
}

/// A default as an experiment file would write it: `0.1`, `cosine`, `[def]`, `[0, 1, 2]`.
func spelled<Value: Encodable>(_ value: Value) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
  guard let data = try? encoder.encode(value), let json = try? JSONDecoder().decode(JSONValue.self, from: data)
  else { return "\(value)" }
  return json.spelledForDocumentation
}

extension JSONValue {
  fileprivate var spelledForDocumentation: String {
    switch self {
    case .string(let text): text
    case .array(let items): "[" + items.map(\.spelledForDocumentation).joined(separator: ", ") + "]"
    case .object(let fields):
      "{"
        + fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.spelledForDocumentation)" }
        .joined(separator: ", ") + "}"
    case .integer(let value): String(value)
    case .number(let value): String(value)
    case .bool(let value): String(value)
    case .null: "none"
    }
  }
}
