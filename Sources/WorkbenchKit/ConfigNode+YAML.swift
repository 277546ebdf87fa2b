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
    guard let text = String(data: data, encoding: .utf8) else {
      throw ConfigError(.syntax, at: SourceLocation(file: path), "the file is not UTF-8 text")
    }
    return try parse(yaml: text, file: path)
  }

  /// Parses YAML text; `file` names the source in error messages.
  public static func parse(yaml text: String, file: String) throws -> ConfigNode {
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      throw Self.syntaxError(error, file: file)
    }
    guard let root else { return ConfigNode(.mapping([]), at: SourceLocation(file: file, line: 1, column: 1)) }
    return try ConfigNode(yaml: root, file: file)
  }

  /// A value typed on the command line (`lr=3e-4`, `layers=[2,4]`), parsed as YAML flow.
  public static func parse(flowValue text: String, origin: String) throws -> ConfigNode {
    let location = SourceLocation(file: origin)
    if text.trimmingCharacters(in: .whitespaces).isEmpty { return ConfigNode(.scalar("", quoted: true), at: location) }
    do {
      guard let node = try Yams.compose(yaml: text) else { return ConfigNode(.null, at: location) }
      return try ConfigNode(yaml: node, file: origin).relocated(to: location)
    } catch let error as YamlError {
      throw ConfigError(.badOverride, at: location, "value '\(text)' is not valid YAML: \(Self.problem(of: error))")
    }
  }

  private init(yaml node: Node, file: String) throws {
    let location = node.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
    switch node {
    case .scalar(let scalar):
      let quoted = scalar.style != .plain && scalar.style != .any
      if !quoted && ["~", "null", "Null", "NULL", ""].contains(scalar.string) {
        self.init(.null, at: location)
      } else {
        self.init(.scalar(scalar.string, quoted: quoted), at: location)
      }
    case .sequence(let sequence):
      self.init(.sequence(try sequence.map { try ConfigNode(yaml: $0, file: file) }), at: location)
    case .mapping(let mapping):
      var entries: [ConfigEntry] = []
      for (key, value) in mapping {
        let keyLocation = key.mark.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
        guard case .scalar(let scalar) = key else {
          throw ConfigError(.syntax, at: keyLocation, "mapping keys must be plain names")
        }
        entries.append(
          ConfigEntry(key: scalar.string, keyLocation: keyLocation, value: try ConfigNode(yaml: value, file: file)))
      }
      self.init(.mapping(entries), at: location)
    case .alias:
      throw ConfigError(
        .syntax, at: location, "YAML aliases (*name) are not supported in experiment files; write the value out")
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
