/// A command-line change to an experiment, applied before the config is validated:
/// `key=value` (change), `key=a,b,c` (sweep over the values), `+key=value` (add), `~key` (remove).
public enum Override: Sendable, Equatable {
  case set(ConfigPath, ConfigNode)
  case sweep(ConfigPath, [ConfigNode])
  case add(ConfigPath, ConfigNode)
  case remove(ConfigPath)

  /// Parses one override argument.
  /// - Throws: `ConfigError` with code `.badOverride` for text that is none of the four forms.
  public init(parsing text: String) throws {
    let origin = "override '\(text)'"
    if text.hasPrefix("~") {
      let key = String(text.dropFirst())
      guard Self.isValidKey(key), !key.contains("=") else {
        throw ConfigError(.badOverride, at: nil, "bad override '\(text)': write ~KEY to remove a key")
      }
      self = .remove(ConfigPath(parsing: key))
      return
    }
    guard let equals = text.firstIndex(of: "=") else {
      throw ConfigError(
        .badOverride, at: nil, "bad override '\(text)': write KEY=VALUE, KEY=A,B,C (sweep), +KEY=VALUE or ~KEY")
    }
    var key = String(text[..<equals])
    let value = String(text[text.index(after: equals)...])
    let adding = key.hasPrefix("+")
    if adding { key.removeFirst() }
    guard Self.isValidKey(key) else {
      throw ConfigError(.badOverride, at: nil, "bad override '\(text)': '\(key)' is not a key path like training.lr")
    }
    let path = ConfigPath(parsing: key)
    let parts = Self.splitTopLevelCommas(value)
    if parts.count > 1 {
      guard !adding else {
        throw ConfigError(.badOverride, at: nil, "bad override '\(text)': a sweep (a,b,c) cannot also add a key")
      }
      self = .sweep(path, try parts.map { try ConfigNode.parse(flowValue: $0, origin: origin) })
    } else {
      let node = try ConfigNode.parse(flowValue: value, origin: origin)
      self = adding ? .add(path, node) : .set(path, node)
    }
  }

  public var path: ConfigPath {
    switch self {
    case .set(let p, _), .sweep(let p, _), .add(let p, _), .remove(let p): return p
    }
  }

  private static func isValidKey(_ key: String) -> Bool {
    !key.isEmpty
      && key.split(separator: ".", omittingEmptySubsequences: false).allSatisfy {
        !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
      }
  }

  /// Splits `a,b,[c,d]` into `a`, `b`, `[c,d]`: commas inside brackets or quotes do not split.
  static func splitTopLevelCommas(_ text: String) -> [String] {
    var parts: [String] = []
    var current = ""
    var depth = 0
    var quote: Character?
    for character in text {
      if let open = quote {
        if character == open { quote = nil }
      } else if character == "\"" || character == "'" {
        quote = character
      } else if character == "[" || character == "{" {
        depth += 1
      } else if character == "]" || character == "}" {
        depth -= 1
      } else if character == "," && depth == 0 {
        parts.append(current)
        current = ""
        continue
      }
      current.append(character)
    }
    parts.append(current)
    return parts
  }
}

extension ConfigNode {
  /// Applies `overrides` in order; sweep overrides are returned as grid axes instead of being applied.
  /// `key=value` may set a key the file lacks when it is one of `knownPaths` (a documented key
  /// with a default); any other key must be added with `+key=value`.
  /// - Throws: `ConfigError` when `key=value` names an unknown key the file lacks, `+key` one it
  ///   has, or `~key` one it lacks.
  public mutating func apply(_ overrides: [Override], knownPaths: Set<ConfigPath> = []) throws -> [SweepAxis] {
    var axes: [SweepAxis] = []
    for override in overrides {
      let path = override.path
      let exists = value(at: path) != nil
      let settable = exists || knownPaths.contains(path)
      let candidates = Set(allPaths.map(\.description)).union(knownPaths.map(\.description))
      let hint = nearest(to: path.description, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
      switch override {
      case .set(_, let node):
        guard settable, setValue(node, at: path, create: true) else {
          throw ConfigError(
            .badOverride, at: nil,
            "cannot override '\(path)': the experiment has no such key\(hint) (add one with +\(path)=VALUE)")
        }
      case .sweep(_, let values):
        guard settable else {
          throw ConfigError(
            .badOverride, at: nil,
            "cannot sweep '\(path)': the experiment has no such key\(hint) (add one with +\(path)=VALUE)")
        }
        axes.removeAll { $0.path == path }
        axes.append(SweepAxis(path: path, values: values))
      case .add(_, let node):
        guard !exists else {
          throw ConfigError(
            .badOverride, at: nil, "cannot add '\(path)': the experiment already has it (change it with \(path)=VALUE)")
        }
        guard setValue(node, at: path, create: true) else {
          throw ConfigError(.badOverride, at: nil, "cannot add '\(path)': its parent is not a mapping")
        }
      case .remove:
        guard removeValue(at: path) else {
          throw ConfigError(.badOverride, at: nil, "cannot remove '\(path)': the experiment has no such key\(hint)")
        }
      }
    }
    return axes
  }
}
