import Foundation
import Synchronization
import WorkbenchRunLog
import WorkbenchTensor

/// What one Slurm array task runs: the runs of its manifest index, one after the other, each
/// into its own shard (`runs/<experiment>/<key>/shard.sqlite`) with a heartbeat.
///
/// Idempotent: a run its shard records as finished is skipped. A run stopped by SIGTERM or SIGUSR1
/// (Slurm's time limit, preemption, `scancel`) saves its checkpoint and is recorded `preempted`;
/// when the task runs again (requeued or resubmitted) it resumes from that checkpoint. Only this
/// task writes these shards, so a run the shard shows as running was left by an earlier attempt
/// of this same task and is taken over at once.
public final class SlurmWorker: Sendable {
  public let manifest: SlurmManifest
  public let index: Int
  public let experiment: ResolvedExperiment
  /// The keys this task runs.
  public let keys: [String]
  private let current = Mutex<Runner?>(nil)

  /// Reads the manifest and resolves the experiment copy it names.
  /// - Throws: `SlurmError` when the manifest is unreadable, the index out of range, or the
  ///   experiment no longer plans a run of this task (the copy or the plugin changed).
  public init(manifest url: URL, index: Int, plugins: [AnyExperimentPlugin]) throws {
    manifest = try SlurmLayout.decode(SlurmManifest.self, from: url)
    guard manifest.format <= SlurmManifest.currentFormat else {
      throw SlurmError(
        .submission, "\(url.path) was written by a newer workbench (format \(manifest.format)); run that version")
    }
    guard manifest.tasks.indices.contains(index) else {
      throw SlurmError(
        .submission, "--index \(index) is outside the manifest's tasks 0-\(manifest.tasks.count - 1) (\(url.path))")
    }
    self.index = index
    experiment = try ResolvedExperiment.load(path: manifest.source, overrides: manifest.overrides, plugins: plugins)
    keys = manifest.tasks[index]
    let planned = Set(experiment.runs.map(\.key))
    if let missing = keys.first(where: { !planned.contains($0) }) {
      throw SlurmError(
        .submission,
        "run \(missing.prefix(12)) of task \(index) is not planned by \(manifest.source) any more (the file or the plugin changed since it was submitted)"
      )
    }
  }

  /// Runs the task's runs.
  /// - Returns: the combined outcome; `failed > 0` when a run failed.
  /// - Throws: `RunCancelled` after a signal (the run is recorded `preempted`, its checkpoint saved).
  public func run(
    display: ProgressDisplay, backend: any Backend, deviceDescription: String, output: @escaping (String) -> Void
  ) throws -> RunOutcome {
    let layout = SlurmLayout(runsRoot: URL(fileURLWithPath: manifest.runsRoot), experiment: experiment.name)
    var total = RunOutcome()
    for key in keys {
      let shard = layout.shard(key: key)
      do {
        try FileManager.default.createDirectory(
          at: shard.deletingLastPathComponent(), withIntermediateDirectories: true)
      } catch {
        throw SlurmError(
          .submission,
          "cannot create the run folder \(shard.deletingLastPathComponent().path): \(error.localizedDescription)")
      }
      let runner = Runner(
        log: try RunLog(path: shard.path), policy: .failed, display: display, runsRoot: layout.runsRoot,
        backend: backend, deviceDescription: deviceDescription, cancelledStatus: .preempted, isAlive: { _ in false })
      current.withLock { $0 = runner }
      defer { current.withLock { $0 = nil } }
      let outcome = try runner.run(experiment, only: [key], analyze: false, output: output)
      total.total += outcome.total
      total.alreadyFinished += outcome.alreadyFinished
      total.finished += outcome.finished
      total.failed += outcome.failed
      total.diverged += outcome.diverged
    }
    return total
  }

  /// Records the current run preempted before a forced exit (from the signal thread).
  public func emergencyStop(signal: Int32) {
    current.withLock { $0 }?.emergencyStop(signal: signal)
  }
}
