import Foundation

/// Decodes a typed `Decodable` config from a `ConfigNode` tree, with errors that point at the file
/// position of the offending value, and a check for keys no config type asked for.
public struct ConfigDecoding {
  /// Keys asked for per mapping path, and the mappings themselves, gathered while decoding.
  final class State {
    var mappings: [ConfigPath: ConfigNode] = [:]
    var requested: [ConfigPath: Set<String>] = [:]
  }

  let state = State()

  public init() {}

  /// Decodes `type` from `node`, which sits at `path` in the whole experiment tree.
  public func decode<T: Decodable>(_ type: T.Type, from node: ConfigNode, at path: ConfigPath = ConfigPath([])) throws
    -> T
  {
    let decoder = NodeDecoder(node: node, path: path, state: state)
    do {
      return try T(from: decoder)
    } catch let error as DecodingError {
      throw Self.translate(error, root: node, rootPath: path)
    }
  }

  /// Marks keys as known at `path` without decoding them (e.g. the host's own top-level keys).
  public func markKnown(_ keys: some Sequence<String>, at path: ConfigPath, in node: ConfigNode) {
    state.mappings[path] = node
    state.requested[path, default: []].formUnion(keys)
  }

  /// Throws for the first key (in file order) that no decoded type asked for, suggesting the nearest
  /// key that was asked for at the same place.
  public func rejectUnknownKeys() throws {
    var unknown: [(ConfigEntry, ConfigPath, String?)] = []
    for (path, node) in state.mappings {
      let known = state.requested[path] ?? []
      for entry in node.entries ?? [] where !known.contains(entry.key) {
        unknown.append((entry, path, nearest(to: entry.key, in: known)))
      }
    }
    let validKeys = { (path: ConfigPath) in self.state.requested[path] ?? [] }
    let first = unknown.min { lhs, rhs in
      let l = (lhs.0.keyLocation?.line ?? 0, lhs.0.keyLocation?.column ?? 0)
      let r = (rhs.0.keyLocation?.line ?? 0, rhs.0.keyLocation?.column ?? 0)
      return l < r
    }
    guard let (entry, path, suggestion) = first else { return }
    throw Self.unknownKey(entry, in: path, suggestion: suggestion, valid: validKeys(path))
  }

  static func unknownKey(
    _ entry: ConfigEntry, in path: ConfigPath, suggestion: String?, valid: Set<String> = []
  ) -> ConfigError {
    let place = path.components.isEmpty ? "" : " in '\(path)'"
    var hint = suggestion.map { "; did you mean '\($0)'?" } ?? ""
    if suggestion == nil && !valid.isEmpty { hint = "; valid keys here: " + valid.sorted().joined(separator: ", ") }
    return ConfigError(.unknownKey, at: entry.keyLocation, "unknown key '\(entry.key)'\(place)\(hint)")
  }

  private static func translate(_ error: DecodingError, root: ConfigNode, rootPath: ConfigPath) -> ConfigError {
    let (context, fallback): (DecodingError.Context?, String) = {
      switch error {
      case .dataCorrupted(let c): return (c, c.debugDescription)
      case .typeMismatch(let t, let c): return (c, "expected \(t)")
      case .valueNotFound(let t, let c): return (c, "expected \(t), got null")
      case .keyNotFound(let k, let c): return (c, "missing required key '\(k.stringValue)'")
      @unknown default: return (nil, "\(error)")
      }
    }()
    let components = (context?.codingPath ?? []).map { $0.intValue.map(String.init) ?? $0.stringValue }
    let relative = ConfigPath(components)
    let node = root.value(at: relative)
    let full = ConfigPath(rootPath.components + components)
    let value = node.map { " (got \($0.rendered))" } ?? ""
    // A key the file lacks (a check across keys names one left out): point at the nearest
    // mapping the file has on its path.
    var present = components
    while !present.isEmpty && root.value(at: ConfigPath(present)) == nil { present.removeLast() }
    let location = node?.location ?? root.value(at: ConfigPath(present))?.location ?? root.location
    return ConfigError(.invalidValue, at: location, "'\(full)': \(fallback)\(value)")
  }
}

/// A string-valued option with a closed set of choices; decoding another value lists the choices.
public protocol ConfigChoice: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {}

extension ConfigChoice {
  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let value = Self(rawValue: text) else {
      let choices = Self.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
      let hint = nearest(to: text, in: Self.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" } ?? ""
      if let decoder = decoder as? NodeDecoder {
        throw ConfigError(
          .invalidValue, at: decoder.node.location, "'\(decoder.path)' must be one of \(choices), got '\(text)'\(hint)")
      }
      throw DecodingError.dataCorruptedError(
        in: try decoder.singleValueContainer(), debugDescription: "must be one of \(choices), got '\(text)'")
    }
    self = value
  }
}

struct PathKey: CodingKey {
  var stringValue: String
  var intValue: Int?
  init(stringValue: String) { self.stringValue = stringValue }
  init(intValue: Int) {
    stringValue = String(intValue)
    self.intValue = intValue
  }
}

struct NodeDecoder: Decoder {
  let node: ConfigNode
  let path: ConfigPath
  let state: ConfigDecoding.State
  var codingPath: [any CodingKey] { path.components.map { PathKey(stringValue: $0) } }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    guard node.entries != nil else { throw mismatch("a mapping of keys") }
    state.mappings[path] = node
    if state.requested[path] == nil { state.requested[path] = [] }
    return KeyedDecodingContainer(KeyedNodeContainer<Key>(decoder: self))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    guard let elements = node.elements else { throw mismatch("a list") }
    return UnkeyedNodeContainer(decoder: self, elements: elements)
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleNodeContainer(decoder: self) }

  func child(_ node: ConfigNode, _ component: String) -> NodeDecoder {
    NodeDecoder(node: node, path: path.appending(component), state: state)
  }

  func mismatch(_ expected: String) -> ConfigError {
    let name = path.components.isEmpty ? "the experiment" : "'\(path)'"
    let got = node.scalarText.map { "'\($0)'" } ?? node.rendered
    return ConfigError(.wrongType, at: node.location, "\(name) expects \(expected), got \(got)")
  }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
  let decoder: NodeDecoder
  var codingPath: [any CodingKey] { decoder.codingPath }
  var allKeys: [Key] { (decoder.node.entries ?? []).compactMap { Key(stringValue: $0.key) } }

  func contains(_ key: Key) -> Bool {
    decoder.state.requested[decoder.path, default: []].insert(key.stringValue)
    return decoder.node[key.stringValue] != nil
  }

  func value(_ key: Key) throws -> ConfigNode {
    decoder.state.requested[decoder.path, default: []].insert(key.stringValue)
    if let node = decoder.node[key.stringValue] { return node }
    // A required key is missing: if the mapping holds a close misspelling, that is the real mistake.
    let requested = decoder.state.requested[decoder.path] ?? []
    let strays = (decoder.node.entries ?? []).filter { !requested.contains($0.key) }
    if let typo = nearest(to: key.stringValue, in: strays.map(\.key)),
      let entry = strays.first(where: { $0.key == typo })
    {
      throw ConfigDecoding.unknownKey(entry, in: decoder.path, suggestion: key.stringValue)
    }
    throw ConfigError(
      .missingKey, at: decoder.node.location, "missing required key '\(decoder.path.appending(key.stringValue))'")
  }

  func decodeNil(forKey key: Key) throws -> Bool {
    guard contains(key), let node = decoder.node[key.stringValue] else { return true }
    return node.kind == .null
  }

  func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
    let node = try value(key)
    return try T(from: decoder.child(node, key.stringValue))
  }

  func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
    guard try !decodeNil(forKey: key) else { return nil }
    return try decode(type, forKey: key)
  }

  func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    try decoder.child(try value(key), key.stringValue).container(keyedBy: type)
  }

  func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
    try decoder.child(try value(key), key.stringValue).unkeyedContainer()
  }

  func superDecoder() throws -> any Decoder { decoder }
  func superDecoder(forKey key: Key) throws -> any Decoder { decoder.child(try value(key), key.stringValue) }
}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
  let decoder: NodeDecoder
  let elements: [ConfigNode]
  var currentIndex = 0
  var codingPath: [any CodingKey] { decoder.codingPath }
  var count: Int? { elements.count }
  var isAtEnd: Bool { currentIndex >= elements.count }

  init(decoder: NodeDecoder, elements: [ConfigNode]) {
    self.decoder = decoder
    self.elements = elements
  }

  mutating func next() throws -> NodeDecoder {
    guard !isAtEnd else {
      throw ConfigError(.invalidValue, at: decoder.node.location, "'\(decoder.path)' has too few elements")
    }
    defer { currentIndex += 1 }
    return decoder.child(elements[currentIndex], String(currentIndex))
  }

  mutating func decodeNil() throws -> Bool {
    guard !isAtEnd, elements[currentIndex].kind == .null else { return false }
    currentIndex += 1
    return true
  }

  mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: try next()) }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
    -> KeyedDecodingContainer<NestedKey>
  {
    try next().container(keyedBy: type)
  }

  mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
  mutating func superDecoder() throws -> any Decoder { try next() }
}

struct SingleNodeContainer: SingleValueDecodingContainer {
  let decoder: NodeDecoder
  var codingPath: [any CodingKey] { decoder.codingPath }

  func decodeNil() -> Bool { decoder.node.kind == .null }

  private func text(_ expected: String) throws -> String {
    guard let text = decoder.node.scalarText else { throw decoder.mismatch(expected) }
    return text
  }

  func decode(_ type: Bool.Type) throws -> Bool {
    switch try text("true or false") {
    case "true", "True", "TRUE", "yes", "on": return true
    case "false", "False", "FALSE", "no", "off": return false
    default: throw decoder.mismatch("true or false")
    }
  }

  func decode(_ type: String.Type) throws -> String { try text("a string") }

  func decode(_ type: Double.Type) throws -> Double {
    let raw = try text("a number").replacingOccurrences(of: "_", with: "")
    let yamlNonFinite = [".nan", ".inf", "+.inf", "-.inf"].contains(raw.lowercased())
    guard let value = Double(raw), !yamlNonFinite else {
      throw decoder.mismatch(yamlNonFinite ? "a finite number" : "a number")
    }
    guard value.isFinite else { throw decoder.mismatch("a finite number") }
    return value
  }

  func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

  private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
    let raw = try text("an integer").replacingOccurrences(of: "_", with: "")
    if let value = T(raw) { return value }
    // Scientific notation is welcome when it is integral: `tokens: 2e6`.
    if let value = Double(raw), value.rounded() == value, let exact = T(exactly: value) { return exact }
    throw decoder.mismatch(T.isSigned ? "an integer" : "a non-negative integer")
  }

  func decode(_ type: Int.Type) throws -> Int { try integer(type) }
  func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
  func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
  func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
  func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
  func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
  func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
  func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
  func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
  func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
  func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: decoder) }
}
