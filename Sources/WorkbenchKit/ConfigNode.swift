import Foundation

/// Where a config value came from: a file position, or a command-line override.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
  public var file: String
  /// 1-based line, when the value came from a file.
  public var line: Int?
  /// 1-based column, when the value came from a file.
  public var column: Int?

  public init(file: String, line: Int? = nil, column: Int? = nil) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String {
    guard let line else { return file }
    guard let column else { return "\(file):\(line)" }
    return "\(file):\(line):\(column)"
  }
}

/// A YAML value with the position it was read from, before it is decoded into a typed config.
///
/// Overrides and sweep expansion edit this tree; the typed `Codable` config is decoded from it last,
/// so every error can point at a file line or at the override that caused it.
public struct ConfigNode: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    case null
    /// A scalar's text; `quoted` when it was written in quotes (always a string then).
    case scalar(String, quoted: Bool)
    case sequence([ConfigNode])
    case mapping([ConfigEntry])
  }

  public var kind: Kind
  public var location: SourceLocation?

  public init(_ kind: Kind, at location: SourceLocation? = nil) {
    self.kind = kind
    self.location = location
  }

  /// The entries of a mapping, or nil.
  public var entries: [ConfigEntry]? {
    if case .mapping(let entries) = kind { return entries }
    return nil
  }

  /// The elements of a sequence, or nil.
  public var elements: [ConfigNode]? {
    if case .sequence(let elements) = kind { return elements }
    return nil
  }

  /// The text of a scalar, or nil.
  public var scalarText: String? {
    if case .scalar(let text, _) = kind { return text }
    return nil
  }

  /// The value of `key` in a mapping.
  public subscript(key: String) -> ConfigNode? {
    entries?.first { $0.key == key }?.value
  }

  /// A short rendering for messages: scalars as written, collections in flow style.
  public var rendered: String {
    switch kind {
    case .null: return "null"
    case .scalar(let text, let quoted): return quoted ? "\"\(text)\"" : text
    case .sequence(let elements): return "[" + elements.map(\.rendered).joined(separator: ", ") + "]"
    case .mapping(let entries):
      return "{" + entries.map { "\($0.key): \($0.value.rendered)" }.joined(separator: ", ") + "}"
    }
  }
}

/// One `key: value` of a mapping, with the key's own position.
public struct ConfigEntry: Sendable, Equatable {
  public var key: String
  public var keyLocation: SourceLocation?
  public var value: ConfigNode

  public init(key: String, keyLocation: SourceLocation? = nil, value: ConfigNode) {
    self.key = key
    self.keyLocation = keyLocation
    self.value = value
  }
}

/// A dotted path into a config tree, like `training.lr` or `models.0.d_model`.
public struct ConfigPath: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral,
  ExpressibleByArrayLiteral
{
  public var components: [String]

  public init(arrayLiteral elements: String...) { components = elements }
  public init(_ components: [String]) { self.components = components }
  public init(stringLiteral value: String) { self.init(parsing: value) }
  public init(parsing text: String) {
    components = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
  }

  public var description: String { components.isEmpty ? "(top level)" : components.joined(separator: ".") }
  public var parent: ConfigPath { ConfigPath(Array(components.dropLast())) }
  public var last: String? { components.last }
  public func appending(_ component: String) -> ConfigPath { ConfigPath(components + [component]) }
}

extension ConfigNode {
  /// The node at `path`, or nil.
  public func value(at path: ConfigPath) -> ConfigNode? {
    var node = self
    for component in path.components {
      if let entries = node.entries {
        guard let next = entries.first(where: { $0.key == component })?.value else { return nil }
        node = next
      } else if let elements = node.elements, let index = Int(component), elements.indices.contains(index) {
        node = elements[index]
      } else {
        return nil
      }
    }
    return node
  }

  /// Replaces (or, with `create`, adds) the value at `path`; returns false when the parent is missing
  /// or the key is absent and `create` is false.
  @discardableResult
  public mutating func setValue(_ value: ConfigNode, at path: ConfigPath, create: Bool = false) -> Bool {
    guard let first = path.components.first else {
      self = value
      return true
    }
    let rest = ConfigPath(Array(path.components.dropFirst()))
    switch kind {
    case .mapping(var entries):
      if let index = entries.firstIndex(where: { $0.key == first }) {
        guard entries[index].value.setValue(value, at: rest, create: create) else { return false }
      } else {
        guard create else { return false }
        var child = ConfigNode(.mapping([]), at: value.location)
        if rest.components.isEmpty {
          child = value
        } else {
          guard child.setValue(value, at: rest, create: true) else { return false }
        }
        entries.append(ConfigEntry(key: first, keyLocation: value.location, value: child))
      }
      kind = .mapping(entries)
      return true
    case .sequence(var elements):
      guard let index = Int(first), elements.indices.contains(index),
        elements[index].setValue(value, at: rest, create: create)
      else { return false }
      kind = .sequence(elements)
      return true
    default:
      return false
    }
  }

  /// Removes the value at `path`; returns false when there is none.
  @discardableResult
  public mutating func removeValue(at path: ConfigPath) -> Bool {
    guard let first = path.components.first else { return false }
    let rest = ConfigPath(Array(path.components.dropFirst()))
    switch kind {
    case .mapping(var entries):
      guard let index = entries.firstIndex(where: { $0.key == first }) else { return false }
      if rest.components.isEmpty {
        entries.remove(at: index)
      } else if !entries[index].value.removeValue(at: rest) {
        return false
      }
      kind = .mapping(entries)
      return true
    case .sequence(var elements):
      guard let index = Int(first), elements.indices.contains(index) else { return false }
      if rest.components.isEmpty {
        elements.remove(at: index)
      } else if !elements[index].removeValue(at: rest) {
        return false
      }
      kind = .sequence(elements)
      return true
    default:
      return false
    }
  }

  /// Every key path of the tree's mappings, depth first (for "did you mean" suggestions).
  public var allPaths: [ConfigPath] {
    var paths: [ConfigPath] = []
    func walk(_ node: ConfigNode, _ prefix: ConfigPath) {
      guard let entries = node.entries else { return }
      for entry in entries {
        let path = prefix.appending(entry.key)
        paths.append(path)
        walk(entry.value, path)
      }
    }
    walk(self, ConfigPath([]))
    return paths
  }
}
