import Foundation
import WorkbenchRandom
import WorkbenchTensor

/// One swept key and the values it takes.
public struct SweepAxis: Sendable, Equatable {
  public var path: ConfigPath
  public var values: [ConfigNode]

  public init(path: ConfigPath, values: [ConfigNode]) {
    self.path = path
    self.values = values
  }
}

/// One point of a sweep: the experiment tree with every swept key set to one value.
public struct SweepPoint: Sendable {
  public var tree: ConfigNode
  /// The swept keys and their values at this point, in axis order.
  public var assignments: [(path: ConfigPath, value: ConfigNode)]

  /// `lr=0.001 width=16`, or empty when nothing is swept.
  public var label: String {
    assignments.map { "\($0.path)=\($0.value.rendered)" }.joined(separator: " ")
  }
}

/// Expands an experiment tree into the points of its sweep.
///
/// Axes come from three places: list-valued keys the plugin declares sweepable (and `seed`), the
/// `sweep:` block (`method: grid` or `random` with `count` and `seed`, `parameters:` giving lists,
/// or `{min, max, log}` ranges for random search), and `key=a,b,c` overrides. Grid axes multiply;
/// random search draws `count` points, each combined with every grid point.
public enum SweepExpansion {
  /// The expanded points, in a deterministic order.
  public static func expand(
    _ tree: ConfigNode, sweepable: Set<ConfigPath>, commandLineAxes: [SweepAxis] = []
  ) throws -> [SweepPoint] {
    var base = tree
    let block = base["sweep"]
    base.removeValue(at: ["sweep"])

    var gridAxes: [SweepAxis] = []
    for path in base.allPaths where sweepable.contains(path) {
      if let values = base.value(at: path)?.elements {
        guard !values.isEmpty else {
          throw ConfigError(.invalidValue, at: base.value(at: path)?.location, "'\(path)' sweeps over an empty list")
        }
        gridAxes.append(SweepAxis(path: path, values: values))
      }
    }
    var randomParameters: [(ConfigPath, ConfigNode)] = []
    var count = 1
    var seed = 0
    if let block {
      let spec = try SweepBlock(block, in: base)
      count = spec.count
      seed = spec.seed
      if spec.random {
        randomParameters = spec.parameters
      } else {
        for (path, node) in spec.parameters {
          guard let values = node.elements, !values.isEmpty else {
            throw ConfigError(
              .invalidValue, at: node.location, "grid parameter '\(path)' needs a non-empty list of values")
          }
          gridAxes.removeAll { $0.path == path }
          gridAxes.append(SweepAxis(path: path, values: values))
        }
      }
    }
    for axis in commandLineAxes {
      gridAxes.removeAll { $0.path == axis.path }
      gridAxes.append(axis)
    }

    // Count before materialising: a file may ask for more points than memory holds.
    var total = randomParameters.isEmpty ? 1 : count
    var overflow = false
    for axis in gridAxes where !overflow {
      (total, overflow) = total.multipliedReportingOverflow(by: axis.values.count)
    }
    if overflow || total > ConfigLimits.runs {
      let factors =
        gridAxes.map { "\($0.values.count) values of \($0.path)" }
        + (randomParameters.isEmpty ? [] : ["count \(count)"])
      throw ConfigError(
        .invalidValue, at: block?.location ?? gridAxes.first.flatMap { base.value(at: $0.path)?.location },
        "the sweep expands to \(overflow ? "more than \(Int.max)" : ConfigLimits.spelled(total)) runs ("
          + factors.joined(separator: " × ") + "); one experiment file plans at most "
          + "\(ConfigLimits.spelled(ConfigLimits.runs)) runs")
    }
    var points = [SweepPoint(tree: base, assignments: [])]
    for axis in gridAxes {
      points = points.flatMap { point in
        axis.values.map { value in
          var next = point
          next.tree.setValue(value, at: axis.path, create: true)
          next.assignments.append((axis.path, value))
          return next
        }
      }
    }
    guard !randomParameters.isEmpty else { return points }
    var generator = SeededGenerator(seed: seed, stream: "sweep")
    var samples: [[(ConfigPath, ConfigNode)]] = []
    for _ in 0..<count {
      samples.append(try randomParameters.map { ($0.0, try sample($0.1, path: $0.0, &generator)) })
    }
    return points.flatMap { point in
      samples.map { sample in
        var next = point
        for (path, value) in sample {
          next.tree.setValue(value, at: path, create: true)
          next.assignments.append((path, value))
        }
        return next
      }
    }
  }

  private static func sample(_ spec: ConfigNode, path: ConfigPath, _ generator: inout SeededGenerator) throws
    -> ConfigNode
  {
    if let values = spec.elements, !values.isEmpty {
      return values[Int(generator.next() % UInt64(values.count))]
    }
    guard let low = spec["min"]?.scalarText.flatMap(Double.init),
      let high = spec["max"]?.scalarText.flatMap(Double.init),
      low.isFinite, high.isFinite, low < high
    else {
      throw ConfigError(
        .invalidValue, at: spec.location,
        "random parameter '\(path)' needs a list of values or {min: A, max: B, log: true|false} with A < B")
    }
    let log = spec["log"]?.scalarText == "true"
    if log && low <= 0 {
      throw ConfigError(.invalidValue, at: spec.location, "random parameter '\(path)': log sampling needs min > 0")
    }
    let unit = generator.nextUnit()
    let value =
      log ? exp(Foundation.log(low) + unit * (Foundation.log(high) - Foundation.log(low))) : low + unit * (high - low)
    let integral = [spec["min"], spec["max"]].allSatisfy { $0?.scalarText.flatMap { Int($0) } != nil }
    let text =
      integral
      ? (Int(exactly: value.rounded()).map(String.init) ?? String(format: "%.0f", value))
      : String(format: "%.6g", value)
    return ConfigNode(.scalar(text, quoted: false), at: spec.location)
  }
}

/// The `sweep:` block of an experiment file.
struct SweepBlock {
  var random: Bool
  var count: Int
  var seed: Int
  var parameters: [(ConfigPath, ConfigNode)]

  init(_ node: ConfigNode, in tree: ConfigNode) throws {
    guard let entries = node.entries else {
      throw ConfigError(
        .wrongType, at: node.location, "'sweep' expects a mapping with method, count, seed and parameters")
    }
    let known = ["method", "count", "seed", "parameters"]
    for entry in entries where !known.contains(entry.key) {
      throw ConfigDecoding.unknownKey(entry, in: ["sweep"], suggestion: nearest(to: entry.key, in: known))
    }
    let method = node["method"]?.scalarText ?? "grid"
    guard method == "grid" || method == "random" else {
      throw ConfigError(
        .invalidValue, at: node["method"]?.location, "'sweep.method' must be 'grid' or 'random', got '\(method)'")
    }
    random = method == "random"
    func integer(_ key: String, default value: Int) throws -> Int {
      guard let child = node[key] else { return value }
      guard let text = child.scalarText, let number = Int(text) else {
        throw ConfigError(.wrongType, at: child.location, "'sweep.\(key)' expects an integer, got \(child.rendered)")
      }
      return number
    }
    count = try integer("count", default: 1)
    seed = try integer("seed", default: 0)
    if random && node["count"] == nil {
      throw ConfigError(.missingKey, at: node.location, "random search needs 'sweep.count': how many points to draw")
    }
    guard count >= 1 else {
      throw ConfigError(.invalidValue, at: node["count"]?.location, "'sweep.count' must be at least 1")
    }
    guard let parameters = node["parameters"]?.entries, !parameters.isEmpty else {
      throw ConfigError(
        .missingKey, at: node.location, "'sweep' needs 'parameters': the keys to sweep and their values")
    }
    var resolved: [(ConfigPath, ConfigNode)] = []
    for entry in parameters {
      let path = ConfigPath(parsing: entry.key)
      if tree.value(at: path) == nil && path.components != ["seed"] {
        let hint = nearest(to: entry.key, in: tree.allPaths.map(\.description)).map { "; did you mean '\($0)'?" } ?? ""
        throw ConfigError(
          .unknownKey, at: entry.keyLocation, "sweep parameter '\(entry.key)' is not a key of the experiment\(hint)")
      }
      resolved.append((path, entry.value))
    }
    self.parameters = resolved
  }
}
