import Foundation

/// One line of an official `references.jsonl`: an instance's id, its references, its task and
/// the task's category, and the track (`default`: English, scored with rouge-score's tokenizer).
public struct SNIReference: Sendable, Equatable {
  public var id: String
  public var references: [String]
  public var taskID: String?
  public var category: String?
  public var track: String

  public init(id: String, references: [String], taskID: String?, category: String?, track: String = "default") {
    self.id = id
    self.references = references
    self.taskID = taskID
    self.category = category
    self.track = track
  }

  /// The line as the official files write it.
  public var jsonLine: String {
    var members: [(key: String, value: JSONNode)] = [
      ("id", .string(id)), ("references", .array(references.map { .string($0) })),
    ]
    if let taskID { members.append(("task_id", .string(taskID))) }
    if let category { members.append(("task_category", .string(category))) }
    members.append(("track", .string(track)))
    return JSONNode.object(members).text
  }
}

/// Predictions by instance id. Ids are compared by their code points, as Python compares
/// strings (Swift's `String` would take a precomposed "é" and "e" + U+0301 for one id).
public struct SNIPredictions: Sendable {
  private var byID: [[UInt8]: String] = [:]

  public init() {}

  public init(_ pairs: some Sequence<(id: String, prediction: String)>) {
    for (id, prediction) in pairs { byID[Array(id.utf8)] = prediction }
  }

  public subscript(id id: String) -> String? {
    get { byID[Array(id.utf8)] }
    set { byID[Array(id.utf8)] = newValue }
  }

  public var count: Int { byID.count }
}

/// One line of an official `predictions.jsonl`.
public func sniPredictionLine(id: String, prediction: String) -> String {
  JSONNode.object([("id", .string(id)), ("prediction", .string(prediction))]).text
}

/// The official evaluation of Super-NaturalInstructions (`eval/automatic/evaluation.py`) for the
/// default track: exact match and ROUGE-L of each prediction against its best reference, ×100,
/// averaged over the track's instances in reference-file order and rounded to 4 decimals,
/// overall, per category (`"_".join(category.lower().split())`) and per task. A missing
/// prediction counts as the empty string; a prediction without a reference is ignored; where an
/// id repeats, the last line counts (in its first line's place), as Python's dict keeps them.
public struct SNIScores: Sendable, Equatable {
  /// `(name, value)` in the script's order: `exact_match`, `rougeL`, then
  /// `exact_match_for_<category>`, `rougeL_for_<category>` per category, then per task.
  public let overall: [(name: String, value: Double)]
  public let perCategory: [(name: String, value: Double)]
  public let perTask: [(name: String, value: Double)]
  /// Instances of the track, and those without a prediction.
  public let instances: Int
  public let missing: Int
  /// Reference lines of other tracks (xlingual is scored with GPT-2's tokenizer: not here).
  public let otherTracks: Int

  public static func == (a: SNIScores, b: SNIScores) -> Bool {
    func same(_ x: [(name: String, value: Double)], _ y: [(name: String, value: Double)]) -> Bool {
      x.map(\.name) == y.map(\.name) && x.map(\.value) == y.map(\.value)
    }
    return same(a.overall, b.overall) && same(a.perCategory, b.perCategory) && same(a.perTask, b.perTask)
      && a.instances == b.instances && a.missing == b.missing && a.otherTracks == b.otherTracks
  }

  /// Every score by name, as the script's output file names them (with `_default_track`).
  public var all: [(name: String, value: Double)] { overall + perCategory + perTask }

  /// The category key of the script: lower case, words joined by `_` (Python's `split()`).
  public static func categoryKey(_ category: String) -> String {
    InstructionMetrics.pythonSplit(category.lowercased()).joined(separator: "_")
  }

  /// Python's `round(x, 4)`: the double nearest the correctly rounded decimal.
  static func round4(_ x: Double) -> Double { Double(String(format: "%.4f", x)) ?? x }

  /// Scores `predictions` against the default-track lines of `references`.
  public init(references: [SNIReference], predictions: SNIPredictions) {
    // Python's dict: first position, last value; keys compared by code points.
    var order: [[UInt8]] = []
    var byID: [[UInt8]: SNIReference] = [:]
    for r in references {
      let key = Array(r.id.utf8)
      if byID[key] == nil { order.append(key) }
      byID[key] = r
    }
    let track = order.compactMap { byID[$0] }.filter { $0.track == "default" }
    otherTracks = order.count - track.count
    instances = track.count
    missing = track.filter { predictions[id: $0.id] == nil }.count
    let scored = track.map { r -> (Double, Double) in
      let p = predictions[id: r.id] ?? ""
      return (
        InstructionMetrics.exactMatch(prediction: p, references: r.references),
        r.references.map { InstructionMetrics.rougeL(prediction: p, reference: $0).f }.max() ?? 0
      )
    }
    func metrics(_ rows: [Int]) -> (Double, Double) {
      var em = 0.0
      var rouge = 0.0
      for i in rows {
        em += scored[i].0
        rouge += scored[i].1
      }
      let n = Double(rows.count)
      return (Self.round4(100 * em / n), Self.round4(100 * rouge / n))
    }
    guard !track.isEmpty else {
      overall = []
      perCategory = []
      perTask = []
      return
    }
    let (em, rouge) = metrics(Array(track.indices))
    overall = [("exact_match", em), ("rougeL", rouge)]
    func grouped(_ key: (SNIReference) -> String?) -> [(name: String, value: Double)] {
      // The script groups only when the track's first instance has the field.
      guard key(track[0]) != nil else { return [] }
      var groups: [String] = []
      var members: [[UInt8]: [Int]] = [:]
      for (i, r) in track.enumerated() {
        let g = key(r) ?? ""
        if members[Array(g.utf8)] == nil { groups.append(g) }
        members[Array(g.utf8), default: []].append(i)
      }
      return groups.flatMap { g -> [(name: String, value: Double)] in
        let (em, rouge) = metrics(members[Array(g.utf8)]!)
        return [("exact_match_for_\(g)", em), ("rougeL_for_\(g)", rouge)]
      }
    }
    perCategory = grouped { $0.category.map(Self.categoryKey) }
    perTask = grouped { $0.taskID }
  }

  /// The script's standard output for the default track, line for line.
  public var report: String {
    var lines = ["Evaluating track: default"]
    if missing > 0 { lines.append("No prediction for \(missing) instances. Use empty string as prediction.") }
    lines.append("======== Overall Metrics ========")
    lines += overall.map { "\($0.name): \($0.value)" }
    if !perCategory.isEmpty {
      lines.append("======== Metrics per Category ========")
      lines += perCategory.map { "\($0.name): \($0.value)" }
    }
    if !perTask.isEmpty {
      lines.append("======== Metrics per Task ========")
      lines += perTask.map { "\($0.name): \($0.value)" }
    }
    return lines.joined(separator: "\n")
  }

  /// The script's output file for the default track, as its `json.dump(…, indent=2)` writes it:
  /// `{"exact_match_default_track": …, …}`, non-ASCII escaped, no newline at the end.
  public var json: String {
    guard !all.isEmpty else { return "{}" }
    return "{\n"
      + all.map { "  \(JSONNode.quoted($0.name + "_default_track", ascii: true)): \($0.value)" }
      .joined(separator: ",\n") + "\n}"
  }
}

/// Reading the official JSON-lines files, with errors naming the file, line and column.
public enum SNIFiles {
  static func lines(_ url: URL) throws -> [(line: Int, node: JSONNode)] {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw SNIError(.missing, "\(url.path): no such file (or it cannot be read)")
    }
    var out: [(Int, JSONNode)] = []
    var n = 0
    let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
    for (index, line) in lines.enumerated() {
      n += 1
      if line.isEmpty && index == lines.count - 1 { continue }  // after the last line's newline
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
        throw SNIError(
          .malformed,
          "\(url.path):\(n): a blank line (the official script stops at it: each line must be a JSON object)")
      }
      do {
        out.append((n, try JSONReader.parse(Data(line))))
      } catch {
        throw SNIError(.malformed, "\(url.path):\(n): not valid JSON at column \(error.column): \(error.message)")
      }
    }
    return out
  }

  /// `predictions.jsonl`: id → prediction (the last line of an id counts).
  public static func readPredictions(_ url: URL) throws -> SNIPredictions {
    var out = SNIPredictions()
    for (n, node) in try lines(url) {
      guard let id = node["id"]?.string else {
        throw SNIError(.malformed, "\(url.path):\(n): a prediction line needs an \"id\" string")
      }
      guard let p = node["prediction"]?.string else {
        throw SNIError(.malformed, "\(url.path):\(n): a prediction line needs a \"prediction\" string")
      }
      out[id: id] = p
    }
    return out
  }

  /// `references.jsonl` in file order. Where the script would stop with an exception — a
  /// `task_id` or `task_category` missing from a line of a track whose first line has it — this
  /// is an error naming the line.
  public static func readReferences(_ url: URL) throws -> [SNIReference] {
    var firstOfTrack: [String: SNIReference] = [:]
    return try lines(url).map { n, node in
      func fail(_ what: String) -> SNIError { SNIError(.malformed, "\(url.path):\(n): \(what)") }
      for key in ["task_id", "task_category", "track"] {
        if let value = node[key], value.string == nil { throw fail("\"\(key)\" must be a string, not \(value.kind)") }
      }
      guard let id = node["id"]?.string else { throw fail("a reference line needs an \"id\" string") }
      guard let list = node["references"]?.array else { throw fail("a reference line needs a \"references\" list") }
      let references = try list.map { item in
        guard let s = item.string else { throw fail("\"references\" must hold strings, not \(item.kind)") }
        return s
      }
      guard !references.isEmpty else { throw fail("\"references\" is empty: an instance needs at least one") }
      let reference = SNIReference(
        id: id, references: references, taskID: node["task_id"]?.string, category: node["task_category"]?.string,
        track: node["track"]?.string ?? "default")
      if let first = firstOfTrack[reference.track] {
        for (key, has, needed) in [
          ("task_id", reference.taskID != nil, first.taskID != nil),
          ("task_category", reference.category != nil, first.category != nil),
        ] where needed && !has {
          throw fail(
            "no \"\(key)\", which the first line of track \(reference.track) has (the official script stops there)")
        }
      } else {
        firstOfTrack[reference.track] = reference
      }
      return reference
    }
  }
}
