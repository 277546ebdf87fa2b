import Foundation
import Synchronization
import WorkbenchErrors
import WorkbenchFiles
import WorkbenchRandom
import WorkbenchRunLog
import WorkbenchTensor

/// What a plugin gets while it executes one run: its identity and seed, a folder for files,
/// metric logging, progress reporting and cancellation. Metrics are buffered and written in
/// batches, so logging costs a small fraction of a training step.
public final class RunContext: @unchecked Sendable {
  /// The run key: a hash of the resolved config, plugin id and version, and seed.
  public let key: String
  public let label: String
  public let seed: Int
  /// `runs/<experiment>/<run-key>/`: where the run writes artifacts and checkpoints.
  public let directory: URL
  /// Where the run's tensors live (`--device`).
  public let backend: any Backend
  /// The device the run computes on, recorded with the run.
  public var device: String

  let record: RunRecord
  let owner: RunOwner
  let log: RunLog
  let display: ProgressDisplay
  let trap: SignalTrap
  let started = Date()
  private var buffer: [MetricRecord] = []
  private var lastFlush = Date()
  /// Metrics wait in memory until this many are buffered or `flushInterval` passed.
  static let batchSize = 512
  static let flushInterval: TimeInterval = 2

  init(
    record: RunRecord, owner: RunOwner, directory: URL, log: RunLog, display: ProgressDisplay, trap: SignalTrap,
    backend: any Backend, device: String
  ) {
    self.backend = backend
    self.device = device
    self.record = record
    self.owner = owner
    key = record.key
    label = record.label
    seed = Int(record.seed)
    self.directory = directory
    self.log = log
    self.display = display
    self.trap = trap
  }

  /// Records one value of metric `name` at `step`, with the tokens and FLOPs spent so far.
  public func log(_ name: MetricName, step: Int, value: Double, tokens: Int? = nil, flops: Double? = nil) throws {
    buffer.append(
      MetricRecord(
        runID: record.id!, name: name.name, step: Int64(step), value: value, tokens: tokens.map(Int64.init),
        flops: flops,
        elapsedSeconds: Date().timeIntervalSince(started)))
    if buffer.count >= Self.batchSize || Date().timeIntervalSince(lastFlush) > Self.flushInterval { try flush() }
  }

  /// Where a plugin keeps the checkpoint it resumes from: `checkpoint.bin` in the run folder. While
  /// it exists, a re-claimed run keeps its metrics (the plugin resumes and calls
  /// `discardMetrics(after:)`); otherwise a re-run starts from a clean slate.
  public var checkpointURL: URL { directory.appendingPathComponent(Self.checkpointName) }
  static let checkpointName = "checkpoint.bin"

  /// Deletes metrics this run logged after `step` (when resuming from a checkpoint taken there).
  public func discardMetrics(after step: Int) throws {
    try flush()
    try log.deleteMetrics(runID: record.id!, after: step, owner: owner)
  }

  /// Records an existing file in the run folder as an artifact, with its size and SHA-256.
  public func recordArtifact(kind: String, url: URL) throws {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: url.path])
    }
    try log.recordArtifact(
      ArtifactRecord(runID: record.id!, kind: kind, path: url.path, sha256: SHA256.hex(data), bytes: Int64(data.count)),
      owner: owner)
  }

  /// The file of kind `kind` (default: the final model, `checkpoint`) of another finished run of
  /// the log, given by key, key prefix or id — for runs that build on another run's model.
  /// - Throws: `ReusedRunError` saying what is missing: no such run, not finished, no such file.
  public func artifact(ofRun reference: String, kind: String = "checkpoint") throws -> URL {
    guard let run = try log.run(matching: reference) else {
      throw ReusedRunError(.noSuchRun, "no run '\(reference)' in the log \(log.path)")
    }
    guard run.status == .finished else {
      throw ReusedRunError(.notFinished, "run \(run.key.prefix(12)) is \(run.status.rawValue), not finished")
    }
    guard let file = try log.artifacts(runID: run.id!).last(where: { $0.kind == kind }),
      FileManager.default.fileExists(atPath: file.path)
    else {
      throw ReusedRunError(
        .missingFile, "run \(run.key.prefix(12)) has no \(kind) file (its plugin keeps none, or it was deleted)")
    }
    return URL(fileURLWithPath: file.path)
  }

  /// `artifact(ofRun:kind:)`, or nil when the log has no such finished run with that file.
  public func existingArtifact(ofRun reference: String, kind: String = "checkpoint") throws -> URL? {
    do { return try artifact(ofRun: reference, kind: kind) } catch is ReusedRunError { return nil }
  }

  /// Writes buffered metrics to the log now.
  public func flush() throws {
    guard !buffer.isEmpty else { return }
    try log.appendMetrics(buffer, owner: owner)
    buffer.removeAll(keepingCapacity: true)
    lastFlush = Date()
  }

  /// A line for the user above the progress display (not with `--quiet`).
  public func note(_ line: String) { display.note(line) }

  /// Updates the progress display.
  public func progress(step: Int, of steps: Int, loss: Double? = nil, tokensPerSecond: Double? = nil) {
    display.runProgress(step: step, of: steps, loss: loss, tokensPerSecond: tokensPerSecond)
  }

  /// Throws `RunCancelled` once SIGINT or SIGTERM arrived; call it between steps.
  public func checkCancellation() throws { try trap.check() }

  /// A seeded generator for one purpose of this run (`"data"`, `"init"`, …).
  public func generator(_ stream: String) -> SeededGenerator { SeededGenerator(seed: seed, stream: stream) }

  /// Writes `data` to `name` in the run folder atomically (temporary file, then rename) and records
  /// it as an artifact of `kind` with its SHA-256.
  @discardableResult
  public func writeArtifact(kind: String, name: String, data: Data) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try data.writeAtomically(to: url)
    try log.recordArtifact(
      ArtifactRecord(runID: record.id!, kind: kind, path: url.path, sha256: SHA256.hex(data), bytes: Int64(data.count)),
      owner: owner)
    return url
  }

}

/// What a plugin gets in `analyze`: the run log to read metrics from and store fits in, a folder
/// for reports, and the output stream.
public final class AnalysisContext: @unchecked Sendable {
  /// The experiment's `name:`.
  public let experimentName: String
  /// `runs/<experiment>/`: where reports go.
  public let directory: URL
  let experimentID: Int64
  let log: RunLog
  private let output: (String) -> Void

  init(experiment: ExperimentRecord, directory: URL, log: RunLog, output: @escaping (String) -> Void) {
    experimentName = experiment.name
    experimentID = experiment.id!
    self.directory = directory
    self.log = log
    self.output = output
  }

  /// Prints a line of the analysis (tables, fitted laws) to standard output.
  public func print(_ line: String) { output(line) }

  /// The values of metric `name` of a run, by step.
  public func metrics<C>(of run: FinishedRun<C>, _ name: MetricName) throws -> [MetricPoint] {
    try log.metrics(runID: run.runID, name: name.name).map(MetricPoint.init)
  }

  /// Every metric of a run, by name and step.
  public func metrics<C>(of run: FinishedRun<C>) throws -> [MetricPoint] {
    try log.metrics(runID: run.runID).map(MetricPoint.init)
  }

  /// Stores a fit and links it to the runs it used.
  @discardableResult
  public func storeFit<C>(
    form: String, parameters: [String: Double], intervals: [String: [Double]]? = nil, options: [String: String] = [:],
    runs: [FinishedRun<C>], pointCount: Int, objective: Double, r2: Double?
  ) throws -> Int64 {
    let record = try FitRecord(
      experimentID: experimentID, form: form, parameters: parameters, intervals: intervals, options: options,
      pointCount: pointCount, objective: objective, r2: r2)
    return try log.insertFit(record, runIDs: runs.map(\.runID))
  }
}

/// One logged value of a metric, as `analyze` reads it.
public struct MetricPoint: Sendable, Equatable {
  public let name: MetricName
  public let step: Int
  public let value: Double
  /// Training tokens seen when the value was measured.
  public let tokens: Int?
  /// Training FLOPs spent when the value was measured.
  public let flops: Double?
  /// Seconds since the run started.
  public let elapsedSeconds: Double?

  init(_ record: MetricRecord) {
    name = MetricName(record.name)
    step = Int(record.step)
    value = record.value
    tokens = record.tokens.map(Int.init)
    flops = record.flops
    elapsedSeconds = record.elapsedSeconds
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Another run's file that a run needs cannot be used.
public typealias ReusedRunError = CodedError<ReusedRunErrorCode>

/// `noSuchRun`: the log has no run by that reference; `notFinished`: the run has no result;
/// `missingFile`: it kept no such file, or the file is gone; `otherModel`: its model is not the
/// shape the new run needs.
public enum ReusedRunErrorCode: String, ErrorCodes { case noSuchRun, notFinished, missingFile, otherModel }
