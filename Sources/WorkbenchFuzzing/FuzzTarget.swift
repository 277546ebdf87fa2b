import ExperimentRegistry
import Foundation
import WorkbenchFit
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
    case .csv:
      let text = String(decoding: data, as: UTF8.self)
      for form in ScalingForm.all {
        _ = try? ScalingPoint.csv(text, columns: form.variables.map { $0.rawValue } + ["loss"], form: form)
      }
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
