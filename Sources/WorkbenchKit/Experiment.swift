import Foundation

/// The host's own keys at the top level of every experiment file; everything else belongs to the plugin.
public struct ExperimentHeader: Decodable, Sendable {
  static let keys = ["plugin", "name", "description", "seed", "retries", "sweep"]

  /// The plugin id (`workbench plugins` lists them).
  public var plugin: String
  /// The experiment's name in the log; defaults to the file name without extension.
  public var name: String?
  public var description: String?
  /// The seed of a run (a list sweeps over seeds).
  public var seed: Int
  /// How many times a failed run is retried within one `workbench run`.
  public var retries: Int

  enum CodingKeys: String, CodingKey { case plugin, name, description, seed, retries }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    plugin = try c.decode(String.self, forKey: .plugin)
    name = try c.decodeIfPresent(String.self, forKey: .name)
    description = try c.decodeIfPresent(String.self, forKey: .description)
    seed = try c.decodeIfPresent(Int.self, forKey: .seed) ?? 0
    retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? 0
  }
}

/// An experiment file with overrides applied, its sweep expanded, every point validated and
/// planned into runs with their keys.
public struct ResolvedExperiment: Sendable {
  public var name: String
  public var description: String?
  public var sourcePath: String
  public var plugin: AnyExperimentPlugin
  public var retries: Int
  /// The runs, in plan order, each key once.
  public var runs: [PlannedRun]
  /// The overrides as typed, for the sweep record.
  public var overrides: [String]

  /// A hash of the sorted run keys: one sweep per distinct set of runs.
  public var sweepKey: String { String(SHA256.hex(runs.map(\.key).sorted().joined(separator: "\n")).prefix(16)) }

  /// Loads `path`, applies `overrides`, and resolves it against `plugins`.
  /// - Throws: `ConfigError` with the file position (or override) of the first problem.
  public static func load(path: String, overrides: [String], plugins: [AnyExperimentPlugin]) throws
    -> ResolvedExperiment
  {
    var tree = try ConfigNode.load(file: path)
    guard tree.entries != nil else {
      throw ConfigError(
        .wrongType, at: tree.location, "an experiment file is a mapping: plugin: NAME and the plugin's keys")
    }
    let parsed = try overrides.map(Override.init(parsing:))
    let known = plugins.map(\.id).sorted()
    // The plugin (which an override may change) says which keys `key=value` may set.
    var pluginNode = tree["plugin"]
    for case .set(let path, let node) in parsed where path == ["plugin"] { pluginNode = node }
    // … a documented key, or a mapping of them (`data.synthetic={alphabet: 8}`).
    let documented = plugins.first { $0.id == pluginNode?.scalarText }.map { plugin in
      Set(
        plugin.configKeys.flatMap { key in
          let components = ConfigPath(parsing: key.path).components
          return (1...components.count).map { ConfigPath(Array(components.prefix($0))) }
        } + ExperimentHeader.keys.map { ConfigPath([$0]) })
    }
    let axes = try tree.apply(parsed, knownPaths: documented ?? [])
    pluginNode = tree["plugin"]
    guard let pluginNode else {
      throw ConfigError(
        .missingKey, at: SourceLocation(file: path), "missing 'plugin:'; name one of: \(known.joined(separator: ", "))")
    }
    guard let pluginID = pluginNode.scalarText, let plugin = plugins.first(where: { $0.id == pluginID }) else {
      let hint = pluginNode.scalarText.flatMap { nearest(to: $0, in: known) }.map { " (did you mean '\($0)'?)" } ?? ""
      throw ConfigError(
        .unknownPlugin, at: pluginNode.location,
        "unknown plugin \(pluginNode.rendered)\(hint); known plugins: \(known.joined(separator: ", "))")
    }
    let sweepable = Set(plugin.configKeys.filter(\.sweepable).map { ConfigPath(parsing: $0.path) } + ["seed"])
    let points = try SweepExpansion.expand(tree, sweepable: sweepable, commandLineAxes: axes)

    var runs: [PlannedRun] = []
    var seen = Set<String>()
    var header: ExperimentHeader?
    for point in points {
      let decoding = ConfigDecoding()
      let hostTree = ConfigNode(
        .mapping((point.tree.entries ?? []).filter { ExperimentHeader.keys.contains($0.key) }), at: point.tree.location)
      let pointHeader = try decoding.decode(ExperimentHeader.self, from: hostTree)
      let planned = try plugin.planRuns(point, decoding, pointHeader.seed)
      try decoding.rejectUnknownKeys()
      header = header ?? pointHeader
      for run in planned where seen.insert(run.key).inserted { runs.append(run) }
      guard runs.count <= ConfigLimits.runs else {
        throw ConfigError(
          .invalidValue, at: tree.location,
          "the experiment plans more than \(ConfigLimits.spelled(ConfigLimits.runs)) runs (sweep points × the "
            + "runs \(plugin.id) makes of each); one experiment file plans at most that many")
      }
    }
    guard let header else { throw ConfigError(.invalidValue, at: tree.location, "the sweep has no points") }
    guard header.retries >= 0 else {
      throw ConfigError(.invalidValue, at: tree["retries"]?.location, "'retries' must be 0 or more")
    }
    let name = header.name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), !name.hasPrefix(".")
    else {
      throw ConfigError(
        .invalidValue, at: tree["name"]?.location ?? SourceLocation(file: path),
        "experiment name '\(name)' may only hold letters, digits, '-', '_' and '.'")
    }
    return ResolvedExperiment(
      name: name, description: header.description, sourcePath: path, plugin: plugin, retries: header.retries,
      runs: runs, overrides: overrides)
  }
}
