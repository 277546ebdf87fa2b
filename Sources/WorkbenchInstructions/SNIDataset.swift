import Foundation
import Synchronization
import WorkbenchErrors
import WorkbenchKit
import WorkbenchLM
import WorkbenchRandom

/// One instance of a Super-NaturalInstructions task: its id (`task001-…`), input and references.
public struct SNIInstance: Sendable, Equatable {
  public let id: String
  public let input: String
  public let outputs: [String]
}

/// A Super-NaturalInstructions task as its file states it, with the instances kept for one use
/// (the first 100 for evaluation, a seeded sample for tuning).
public struct SNITask: Sendable {
  /// The file name without `.json`: `task1356_xlsum_title_generation`.
  public let name: String
  /// The definition Tk-Instruct shows: the first of the list (or the string, in older files).
  public let definition: String
  public let positives: [InstructionExample]
  public let negatives: [InstructionExample]
  public let instances: [SNIInstance]
  /// How many instances the file holds.
  public let instanceCount: Int
  public let categories: [String]
  /// The file's checksum (CRC-32C): what the run's shared tokenizer and base are made from.
  public var checksum: UInt32 = 0
  public let inputLanguages: [String]
  public let outputLanguages: [String]
  public let instructionLanguages: [String]

  /// The task's category as the official references name it (`Categories[0]`).
  public var category: String { categories.first ?? "" }

  /// English input, output and instruction: the default track's tasks.
  public var isEnglish: Bool {
    [inputLanguages, outputLanguages, instructionLanguages].allSatisfy { $0 == ["English"] }
  }
}

/// Why a Super-NaturalInstructions folder or task file cannot be used: one line naming the file
/// (and the JSON position where there is one) and what to do.
public typealias SNIError = CodedError<SNIErrorCode>

/// `missing`: a folder, split or file that is not there; `unreadable`: one that cannot be read;
/// `malformed`: a file whose contents break SNI's format (JSON, fields, lines); `empty`: a split
/// that leaves no task; `notSNI`: an experiment whose tasks are not from SNI.
public enum SNIErrorCode: String, ErrorCodes { case missing, unreadable, malformed, empty, notSNI }

/// Which Super-NaturalInstructions data an experiment uses (`tasks:` of an instruction-tuning
/// experiment with `source: sni`).
public struct SNISource: ConfigSection, Equatable, Hashable {
  /// A natural-instructions checkout, or any folder with `tasks/` and `splits/<split>/`.
  public var path = ""
  /// The split: `splits/<split>/train_tasks.txt` and `test_tasks.txt`.
  public var split = "default"
  /// `english` (the default track: input, output and instruction in English) or `all`.
  public var languages = "english"
  /// Tuning instances per training task, a seeded sample as Tk-Instruct draws (its default 100).
  public var maxInstancesPerTask = 100
  /// Test instances per test task: the first ones in the file (the official test set: 100).
  public var testInstances = 100
  /// How many test tasks to evaluate on, in the split's order (0: all).
  public var testTasks = 0

  public init() {}

  public init(path: String) { self.path = path }

  public static var fields: [ConfigField<Self>] {
    [
      .key(
        "path", \.path, type: "folder", default: "required with sni",
        "with sni: a natural-instructions checkout (tasks/, splits/)"),
      .key("split", \.split, type: "name", "with sni: splits/<name>/{train,test}_tasks.txt"),
      .key("languages", \.languages, type: "english | all", "with sni: the default track's English tasks, or all"),
      .key("max_instances_per_task", \.maxInstancesPerTask, "with sni: tuning instances per task (a seeded sample)"),
      .key("test_instances", \.testInstances, "with sni: the first instances of each test task"),
      .key("test_tasks", \.testTasks, "with sni: test tasks in the split's order (0: all)"),
    ]
  }

  public var root: URL { URL(fileURLWithPath: path, isDirectory: true) }
}

/// A split of Super-NaturalInstructions, loaded: its training tasks (each with a seeded sample of
/// its instances) and test tasks (each with its first instances), filtered by language.
public struct SNIDataset: Sendable {
  public let source: SNISource
  public let train: [SNITask]
  public let test: [SNITask]
  /// Tasks of the split left out by the language filter.
  public let filtered: [String]

  /// Reads the split's task lists and every task file they name, one file at a time (only the
  /// kept instances stay in memory); `progress` hears how far it got.
  public init(_ source: SNISource, progress: (String) -> Void = { _ in }) throws {
    self.source = source
    let root = source.root
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isFolder), isFolder.boolValue else {
      throw SNIError(
        .missing,
        "\(root.path): no such folder; tasks.path must name a natural-instructions checkout (with tasks/ and splits/)")
    }
    let train = try Self.taskList(source, "train_tasks.txt")
    let test = try Self.taskList(source, "test_tasks.txt")
    var loaded: [[SNITask]] = [[], []]
    var filtered: [String] = []
    let total = train.count + test.count
    var done = 0
    var lastReport = Date.distantPast
    for (part, names) in [train, test].enumerated() {
      for name in names {
        let url = Self.taskURL(root, name)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        if bytes > 8 << 20 || Date().timeIntervalSince(lastReport) > 2 {
          progress(
            "reading task \(done + 1)/\(total): \(name).json (\(bytes >= 1 << 20 ? "\(bytes >> 20) MiB" : bytes >= 1 << 10 ? "\(bytes >> 10) KiB" : "\(bytes) bytes"))"
          )
          lastReport = Date()
        }
        let task = try Self.readTask(
          at: url,
          keep: part == 0 ? .sample(source.maxInstancesPerTask, seed: name) : .first(source.testInstances))
        done += 1
        if source.languages == "english" && !task.isEnglish {
          filtered.append(name)
        } else {
          loaded[part].append(task)
        }
      }
    }
    self.train = loaded[0]
    self.test = source.testTasks > 0 ? Array(loaded[1].prefix(source.testTasks)) : loaded[1]
    self.filtered = filtered
    guard !self.train.isEmpty else {
      throw SNIError(
        .empty,
        "\(Self.splitURL(source, "train_tasks.txt").path): no \(source.languages == "english" ? "English " : "")training task"
      )
    }
    guard !self.test.isEmpty else {
      throw SNIError(
        .empty,
        "\(Self.splitURL(source, "test_tasks.txt").path): no \(source.languages == "english" ? "English " : "")test task"
      )
    }
  }

  static func splitURL(_ source: SNISource, _ file: String) -> URL {
    source.root.appendingPathComponent("splits").appendingPathComponent(source.split).appendingPathComponent(file)
  }

  public static func taskURL(_ root: URL, _ name: String) -> URL {
    root.appendingPathComponent("tasks").appendingPathComponent(name + ".json")
  }

  /// The task names of a split file: one per line, blank lines and `#` comments skipped, `.json` optional.
  public static func taskList(_ source: SNISource, _ file: String) throws -> [String] {
    let url = splitURL(source, file)
    guard let data = FileManager.default.contents(atPath: url.path) else {
      let splits =
        (try? FileManager.default.contentsOfDirectory(
          atPath: url.deletingLastPathComponent()
            .deletingLastPathComponent().path))?.sorted() ?? []
      throw SNIError(
        .missing,
        "\(url.path): no such split file"
          + (splits.isEmpty ? " (the folder has no splits/)" : "; the splits are \(splits.joined(separator: ", "))"))
    }
    var names: [String] = []
    var seen = Set<String>()
    // Lines split at the byte 0x0A, so that files with Windows line ends (CR LF) read too.
    for (n, raw) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
      var line = String(decoding: raw, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
      if line.isEmpty || line.hasPrefix("#") { continue }
      if line.hasSuffix(".json") { line.removeLast(5) }
      guard !line.contains("/"), line != ".", line != ".." else {
        throw SNIError(
          .malformed, "\(url.path):\(n + 1): '\(line)' is not a task name (a file name in tasks/, without a folder)")
      }
      guard FileManager.default.fileExists(atPath: taskURL(source.root, line).path) else {
        throw SNIError(
          .missing,
          "\(url.path):\(n + 1): task \(line) is named in the split but \(taskURL(source.root, line).path) does not exist"
        )
      }
      if seen.insert(line).inserted { names.append(line) }
    }
    guard !names.isEmpty else { throw SNIError(.empty, "\(url.path): names no task") }
    return names
  }

  /// Which instances of a task file to keep.
  public enum Keep: Sendable {
    /// The first `n` (the official test set).
    case first(Int)
    /// A sample of `n`, seeded by the task's name (the same every run).
    case sample(Int, seed: String)
  }

  /// Reads one task file, checking its schema; errors name the file and the JSON position.
  public static func readTask(at url: URL, keep: Keep) throws -> SNITask {
    let name = url.deletingPathExtension().lastPathComponent
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw SNIError(.unreadable, "\(url.path): cannot be read (\((error as NSError).localizedDescription))")
    }
    let root: JSONNode
    do { root = try JSONReader.parse(data) } catch {
      throw SNIError(.malformed, "\(url.path): not valid JSON at \(error)")
    }
    var task = try task(named: name, root, file: url.path, keep: keep)
    task.checksum = Checkpoint.checksum(data[...])
    return task
  }

  /// The task of a parsed file (`file` names it in errors).
  public static func task(named name: String, _ root: JSONNode, file: String, keep: Keep) throws -> SNITask {
    func fail(_ what: String) -> SNIError { SNIError(.malformed, "\(file): \(what)") }
    guard case .object = root else { throw fail("a task file must hold one JSON object, not \(root.kind)") }
    func strings(_ key: String, required: Bool = false) throws -> [String] {
      guard let value = root[key] else {
        if required { throw fail("no \"\(key)\"") }
        return []
      }
      if let s = value.string { return [s] }
      guard let items = value.array else {
        throw fail("\"\(key)\" must be a list of strings or a string, not \(value.kind)")
      }
      return try items.enumerated().map { i, item in
        guard let s = item.string else { throw fail("\"\(key)\"[\(i)] must be a string, not \(item.kind)") }
        return s
      }
    }
    let definitions = try strings("Definition", required: true)
    guard let definition = definitions.first else { throw fail("\"Definition\" is empty") }
    func examples(_ key: String) throws -> [InstructionExample] {
      guard let value = root[key] else { return [] }
      guard let items = value.array else { throw fail("\"\(key)\" must be a list, not \(value.kind)") }
      return try items.enumerated().map { i, item in
        guard let input = item["input"]?.string, let output = item["output"]?.string else {
          throw fail("\"\(key)\"[\(i)] needs \"input\" and \"output\" strings")
        }
        return InstructionExample(input: input, output: output, explanation: item["explanation"]?.string ?? "")
      }
    }
    let positives = try examples("Positive Examples")
    let negatives = try examples("Negative Examples")
    guard let instancesNode = root["Instances"] else { throw fail("no \"Instances\"") }
    guard let items = instancesNode.array else { throw fail("\"Instances\" must be a list, not \(instancesNode.kind)") }
    guard !items.isEmpty else { throw fail("the task has no instances") }
    let chosen: [Int]
    switch keep {
    case .first(let n): chosen = Array(0..<min(n, items.count))
    case .sample(let n, let seed):
      var order = Array(0..<items.count)
      var g = SeededGenerator(seed: SeededGenerator.hash("sni instances " + seed))
      order.shuffle(using: &g)
      chosen = Array(order.prefix(n))
    }
    // Every instance is checked, not only the kept ones: a broken file fails whichever use reads it.
    var instances: [SNIInstance] = []
    instances.reserveCapacity(chosen.count)
    let keepSet = Set(chosen)
    var kept: [Int: SNIInstance] = [:]
    for (i, item) in items.enumerated() {
      guard case .object = item else { throw fail("\"Instances\"[\(i)] must be an object, not \(item.kind)") }
      guard let input = item["input"]?.string else { throw fail("\"Instances\"[\(i)] has no \"input\" string") }
      guard let outputNode = item["output"] else { throw fail("\"Instances\"[\(i)] has no \"output\"") }
      let outputs: [String]
      if let s = outputNode.string {
        outputs = [s]
      } else if let list = outputNode.array {
        outputs = try list.enumerated().map { j, o in
          guard let s = o.string else { throw fail("\"Instances\"[\(i)].output[\(j)] must be a string, not \(o.kind)") }
          return s
        }
      } else {
        throw fail("\"Instances\"[\(i)].output must be a list of strings, not \(outputNode.kind)")
      }
      guard !outputs.isEmpty else { throw fail("\"Instances\"[\(i)] has an empty \"output\" list (no reference)") }
      let id = item["id"]?.string ?? "\(name)-\(i)"
      if keepSet.contains(i) { kept[i] = SNIInstance(id: id, input: input, outputs: outputs) }
    }
    instances = chosen.map { kept[$0]! }
    return SNITask(
      name: name, definition: definition, positives: positives, negatives: negatives, instances: instances,
      instanceCount: items.count, categories: try strings("Categories"), inputLanguages: try strings("Input_language"),
      outputLanguages: try strings("Output_language"), instructionLanguages: try strings("Instruction_language"))
  }

  /// Datasets read in this process, by source: a run plans and executes in one process, so the
  /// files are read once.
  private static let cache = Mutex<[SNISource: SNIDataset]>([:])

  /// The dataset of `source`, read once per process.
  public static func cached(_ source: SNISource, progress: (String) -> Void = { _ in }) throws -> SNIDataset {
    if let data = cache.withLock({ $0[source] }) { return data }
    let data = try SNIDataset(source, progress: progress)
    cache.withLock { $0[source] = data }
    return data
  }

  /// What the training tasks hold, as one string to hash: names and file checksums, so that a
  /// changed checkout makes a new tokenizer and base.
  public var trainingFingerprint: String {
    train.map { $0.name + ":" + String($0.checksum, radix: 16) }.joined(separator: ",")
  }

  /// The first `count` training tasks in a seeded order of the split's (nested: the tasks of a
  /// smaller count are among those of a larger one for the same seed).
  public func trainingSubset(_ count: Int, seed: Int) -> [SNITask] {
    var order = Array(train.indices)
    var g = SeededGenerator(seed: SeededGenerator.hash("sni training tasks \(seed)"))
    order.shuffle(using: &g)
    return order.prefix(count).map { train[$0] }
  }
}
