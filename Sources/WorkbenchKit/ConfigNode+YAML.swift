import Foundation
import Yams

extension ConfigNode {
  /// Reads and parses a YAML file.
  /// - Throws: `ConfigError` naming the file (missing, unreadable, not UTF-8) or the line and column
  ///   of a syntax error.
  public static func load(file path: String) throws -> ConfigNode {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw ConfigError(.missingFile, at: nil, "no such experiment file: \(path)")
    }
    guard !isDirectory.boolValue, let data = FileManager.default.contents(atPath: path) else {
      throw ConfigError(.missingFile, at: nil, "cannot read experiment file \(path) (a folder, or no permission)")
    }
    guard data.count <= ConfigLimits.fileBytes else {
      throw ConfigError(
        .invalidValue, at: SourceLocation(file: path),
        "the file holds \(ConfigLimits.spelled(data.count)) bytes; experiment files are limited to "
          + "\(ConfigLimits.spelled(ConfigLimits.fileBytes)) bytes")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ConfigError(.syntax, at: SourceLocation(file: path), "the file is not UTF-8 text")
    }
    return try parse(yaml: text, file: path)
  }

  /// Parses YAML text; `file` names the source in error messages.
  public static func parse(yaml text: String, file: String) throws -> ConfigNode {
    try parse(yaml: text, file: file, limit: ConfigLimits.expandedValues)
  }

  /// `parse(yaml:file:)` with another limit on values after aliases are expanded (for tests).
  static func parse(yaml text: String, file: String, limit: Int) throws -> ConfigNode {
    // The parser lives while the tree is converted: it holds the anchors' names, which the
    // composed nodes reference weakly.
    let parser: Parser
    let root: Node?
    do {
      parser = try Parser(yaml: text)
      root = try parser.singleRoot()
    } catch let error as YamlError {
      throw Self.syntaxError(error, file: file)
    }
    guard let root else { return ConfigNode(.mapping([]), at: SourceLocation(file: file, line: 1, column: 1)) }
    var expansion = AliasExpansion(file: file, text: text, limit: limit)
    return try withExtendedLifetime(parser) { try expansion.convert(root, aliasedAt: nil) }
  }

  /// A value typed on the command line (`lr=3e-4`, `layers=[2,4]`), parsed as YAML flow.
  public static func parse(flowValue text: String, origin: String) throws -> ConfigNode {
    let location = SourceLocation(file: origin)
    if text.trimmingCharacters(in: .whitespaces).isEmpty { return ConfigNode(.scalar("", quoted: true), at: location) }
    do {
      let parser = try Parser(yaml: text)
      guard let node = try parser.singleRoot() else { return ConfigNode(.null, at: location) }
      var expansion = AliasExpansion(file: origin, text: text, limit: ConfigLimits.expandedValues)
      return try withExtendedLifetime(parser) { try expansion.convert(node, aliasedAt: nil) }.relocated(to: location)
    } catch let error as YamlError {
      throw ConfigError(.badOverride, at: location, "value '\(text)' is not valid YAML: \(Self.problem(of: error))")
    }
  }

  /// The same tree with every position replaced by `location` (for values typed on the command line).
  func relocated(to location: SourceLocation) -> ConfigNode {
    var copy = self
    copy.location = location
    switch kind {
    case .sequence(let elements): copy.kind = .sequence(elements.map { $0.relocated(to: location) })
    case .mapping(let entries):
      copy.kind = .mapping(
        entries.map { ConfigEntry(key: $0.key, keyLocation: location, value: $0.value.relocated(to: location)) })
    default: break
    }
    return copy
  }

  private static func syntaxError(_ error: YamlError, file: String) -> ConfigError {
    switch error {
    case .parser(_, let problem, let mark, _) where problem.hasPrefix("Maximum nesting level"):
      return ConfigError(
        .syntax, at: SourceLocation(file: file, line: mark.line, column: mark.column),
        "lists and mappings nest deeper than \(ConfigLimits.spelled(ConfigLimits.nesting)) levels")
    case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
      .composer(_, let problem, let mark, _):
      return ConfigError(
        .syntax, at: SourceLocation(file: file, line: mark.line, column: mark.column), "YAML syntax error: \(problem)")
    case .duplicatedKeysInMapping(let duplicates, let context):
      return ConfigError(
        .syntax, at: SourceLocation(file: file, line: context.mark.line, column: context.mark.column),
        "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in one mapping")
    default:
      return ConfigError(.syntax, at: SourceLocation(file: file), "YAML syntax error: \(problem(of: error))")
    }
  }

  private static func problem(of error: YamlError) -> String {
    switch error {
    case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
      return problem
    default:
      return "\(error)".split(separator: "\n").first.map(String.init) ?? "invalid YAML"
    }
  }
}

/// Turns a composed YAML tree into a config tree, following aliases with a budget: libyaml shares
/// an anchored value between its aliases, so nine lines can stand for billions of values (an alias
/// bomb); past `ConfigLimits.expandedValues` the file is refused, naming the alias that expands.
private struct AliasExpansion {
  let file: String
  let lines: [Substring]
  let limit: Int
  var values = 0

  init(file: String, text: String, limit: Int) {
    self.file = file
    self.limit = limit
    lines = text.split(separator: "\n", omittingEmptySubsequences: false)
  }

  /// An alias as written: `*name` at a position.
  struct Site {
    var location: SourceLocation
    var text: String
  }

  /// `aliasedAt`: where the outermost alias being expanded is written, nil outside aliases.
  mutating func convert(_ node: Node, aliasedAt alias: Site?) throws -> ConfigNode {
    let location = node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
    values += 1
    if values > limit {
      let limit = ConfigLimits.spelled(limit)
      guard let alias else {
        throw ConfigError(.invalidValue, at: location, "the file holds more than \(limit) values")
      }
      throw ConfigError(
        .invalidValue, at: alias.location,
        "the alias \(alias.text) expands the file past \(limit) values (the limit after aliases are expanded); "
          + "write the values out")
    }
    switch node {
    case .scalar(let scalar):
      let quoted = scalar.style != .plain && scalar.style != .any
      if !quoted && ["~", "null", "Null", "NULL", ""].contains(scalar.string) {
        return ConfigNode(.null, at: location)
      }
      return ConfigNode(.scalar(scalar.string, quoted: quoted), at: location)
    case .sequence(let sequence):
      var elements: [ConfigNode] = []
      // Where the text of the next element can start: after the list's start, the previous
      // element written inline, or the previous alias.
      var cursor = node.mark.map { ($0.line, $0.column) } ?? (0, 0)
      for element in sequence {
        var site = alias
        if alias == nil {
          if let found = aliasSite(element, after: cursor) {
            site = found
            cursor = (found.location.line ?? 0, (found.location.column ?? 0) + 1)
          } else if let mark = element.mark {
            cursor = (mark.line, mark.column)
          }
        }
        elements.append(try convert(element, aliasedAt: site))
      }
      return ConfigNode(.sequence(elements), at: location)
    case .mapping(let mapping):
      var entries: [ConfigEntry] = []
      for (key, value) in mapping {
        let keyLocation = key.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
        guard case .scalar(let scalar) = key else {
          throw ConfigError(.syntax, at: keyLocation, "mapping keys must be plain names")
        }
        values += 1
        let site = alias ?? key.mark.flatMap { aliasSite(value, after: ($0.line, $0.column)) }
        entries.append(
          ConfigEntry(key: scalar.string, keyLocation: keyLocation, value: try convert(value, aliasedAt: site)))
      }
      return ConfigNode(.mapping(entries), at: location)
    case .alias:
      throw ConfigError(.syntax, at: location, "unresolved YAML alias")
    }
  }

  /// Where `node` is written as an alias, when it is one: the composer hands an alias back as
  /// the anchored value itself, which stands in the text before the place it is used (`cursor`,
  /// the line and column after which the use is written).
  func aliasSite(_ node: Node, after cursor: (Int, Int)) -> Site? {
    guard let mark = node.mark, (mark.line, mark.column) < cursor else { return nil }
    let needle = "*" + (node.anchor?.rawValue ?? "")
    for index in max(0, cursor.0 - 1)..<lines.count {
      let line = lines[index]
      let start = index == cursor.0 - 1 ? min(max(0, cursor.1 - 1), line.count) : 0
      if let range = line.dropFirst(start).range(of: needle) {
        let column = line.distance(from: line.startIndex, to: range.lowerBound) + 1
        return Site(location: SourceLocation(file: file, line: index + 1, column: column), text: needle)
      }
    }
    return Site(location: SourceLocation(file: file, line: cursor.0, column: cursor.1), text: needle)
  }
}
