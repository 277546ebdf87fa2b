import ExperimentRegistry
import Foundation
import WorkbenchFit
import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM
import WorkbenchRunLog
import WorkbenchTensor

/// The readers of outside bytes, each as one fuzz target: given any bytes, a reader returns a
/// value or throws an error; it never traps, hangs or exhausts memory. `scripts/fuzz` runs each
/// under libFuzzer; `Tests/FuzzRegressions/<target>/` holds every input that once broke one, and
/// a test replays them all.
public enum FuzzTarget: String, CaseIterable, Sendable {
  /// An experiment file: YAML → config tree → sweep → each plugin's typed config and plan.
  case config
  /// `key=value` overrides (one per line) applied to an experiment, then its sweep expanded.
  case override
  /// A corpus file: plain, gzip or dictzip.
  case corpus
  /// A checkpoint file, as it is (checksummed) and as a version-1 file (no checksum: the header
  /// and size checks are what stand between the bytes and the model).
  case checkpoint
  /// A foreign log file merged into a log (`workbench log merge`, Slurm shards).
  case merge
  /// A CSV of scaling data (`workbench fit --csv`).
  case csv
  /// A Super-NaturalInstructions task file (JSON with Python's NaN) read into a task, keeping
  /// the first instances and a seeded sample.
  case sniTask = "sni-task"
  /// A `references.jsonl` (and the same bytes as `predictions.jsonl`) scored as SNI's official
  /// evaluation scores them.
  case sniScore = "sni-score"
  /// A BPE tokenizer file (`workbench-bpe 1`, checksummed) and, as text, BPE training on the
  /// bytes: what the tokenizer encodes must decode to the same bytes.
  case bpe

  /// Feeds `data` to the reader; errors it throws are the expected outcome of bad bytes.
  public func run(_ data: Data) {
    switch self {
    case .config:
      let url = Self.scratch.appendingPathComponent("experiment.yaml")
      guard (try? data.write(to: url)) != nil else { return }
      _ = try? ResolvedExperiment.load(path: url.path, overrides: [], plugins: ExperimentRegistry.plugins)
    case .override:
      let url = Self.scratch.appendingPathComponent("override-base.yaml")
      if !FileManager.default.fileExists(atPath: url.path) {
        try? Data(Self.overrideBase.utf8).write(to: url)
      }
      let overrides = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
      _ = try? ResolvedExperiment.load(path: url.path, overrides: overrides, plugins: ExperimentRegistry.plugins)
    case .corpus:
      let url = Self.scratch.appendingPathComponent("corpus.txt")
      guard (try? data.write(to: url)) != nil else { return }
      _ = try? TextCorpus(specs: [url.path])
    case .checkpoint:
      let url = Self.scratch.appendingPathComponent("checkpoint.bin")
      let model = GPT(Self.seedShape, on: CPUBackend.shared, seed: 0)
      for bytes in [data, Checkpoint.magicVersion1 + data] {
        _ = try? Checkpoint.read(bytes, from: url, into: model)
      }
    case .merge:
      let url = Self.scratch.appendingPathComponent("foreign.sqlite")
      guard (try? data.write(to: url)) != nil else { return }
      for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: url.path + suffix) }
      guard let log = try? RunLog(inMemory: ()) else { return }
      _ = try? log.merge(from: url.path)
    case .sniTask, .sniScore, .bpe:
      runText(data)
    case .csv:
      let text = String(decoding: data, as: UTF8.self)
      for form in ScalingForm.all {
        _ = try? ScalingPoint.csv(text, columns: form.variables.map { $0.rawValue } + ["loss"], form: form)
      }
    }
  }

  /// The SNI and tokenizer readers.
  func runText(_ data: Data) {
    switch self {
    case .sniTask:
      guard let root = try? JSONReader.parse(data) else { return }
      _ = try? SNIDataset.task(named: "task", root, file: "task.json", keep: .first(3))
      _ = try? SNIDataset.task(named: "task", root, file: "task.json", keep: .sample(3, seed: "task"))
    case .sniScore:
      let url = Self.scratch.appendingPathComponent("references.jsonl")
      guard (try? data.write(to: url)) != nil else { return }
      guard let references = try? SNIFiles.readReferences(url) else { return }
      let predictions = (try? SNIFiles.readPredictions(url)) ?? SNIPredictions()
      let scores = SNIScores(references: references, predictions: predictions)
      _ = scores.report
      _ = scores.json
    case .bpe:
      // As it is, and with its last line replaced by the right checksum (so that the checks
      // behind the checksum are fuzzed too).
      let body = data.last == 0x0A ? data.dropLast() : data[...]
      var resealed = body.lastIndex(of: 0x0A).map { Data(body[...$0]) } ?? Data(body) + Data("\n".utf8)
      resealed += Data(String(format: "checksum %08x\n", Checkpoint.checksum(resealed[...])).utf8)
      for bytes in [data, resealed] {
        if let tokenizer = try? BPETokenizer(data: bytes, file: "tokenizer.bpe") {
          let sample = [UInt8](data.prefix(256))
          guard tokenizer.decodeBytes(tokenizer.encode(bytes: sample)) == sample else {
            fatalError("a read tokenizer does not round-trip its input")
          }
        }
      }
      let text = String(decoding: data.prefix(4096), as: UTF8.self)
      let trained = BPETokenizer.train(texts: text.split(separator: "\n").map(String.init), vocabulary: 300)
      guard trained.decode(trained.encode(text)) == text,
        (try? BPETokenizer(data: trained.serialized(), file: "t.bpe")) == trained
      else { fatalError("BPE training on the input does not round-trip it") }
    default: return
    }
  }

  /// A folder of this process for the files the readers open.
  static let scratch: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("workbench-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }()

  /// The shape of the model a checkpoint is loaded into (and of the seed checkpoints).
  public static let seedShape = GPTConfig(layers: 1, width: 8, heads: 2, context: 8)

  static let overrideBase = "plugin: curve-sweep\nsize: [1e6, 1e7]\nsteps: 10\n"
}
