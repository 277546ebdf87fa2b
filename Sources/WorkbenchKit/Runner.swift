import Foundation
import Synchronization
import WorkbenchRunLog
import WorkbenchTensor

/// What one `workbench run` did.
public struct RunOutcome: Sendable, Equatable {
  public var total = 0
  /// Runs already finished before this invocation (and not re-run).
  public var alreadyFinished = 0
  public var finished = 0
  public var failed = 0
  /// Runs that ended with a diverged loss (a result, counted in `finished` too).
  public var diverged = 0
  /// Runs another process was running when this one ended.
  public var runningElsewhere = 0
  /// Whether the analysis ran (every run finished).
  public var analyzed = false
}

/// Executes the runs of a resolved experiment against a run log: skips finished runs, claims each
/// run atomically (several processes can share one log), keeps a heartbeat, retries failures,
/// and marks a run interrupted on SIGINT/SIGTERM.
public final class Runner: Sendable {
  public let log: RunLog
  public let policy: RerunPolicy
  public let display: ProgressDisplay
  public let trap: SignalTrap
  /// `runs/` beside the log: each run gets `runs/<experiment>/<run-key>/`.
  public let runsRoot: URL
  /// A run whose heartbeat is older than this, on another host, is taken for dead.
  public let lease: TimeInterval
  /// Seconds between heartbeats of a running run.
  public let heartbeatInterval: TimeInterval
  /// Where runs compute, and what they record as their device.
  public let backend: any Backend
  public let deviceDescription: String
  /// How a run stopped by a signal is recorded: `interrupted` (Ctrl-C, `kill`), or `preempted` in a
  /// Slurm worker, where the scheduler sent it.
  public let cancelledStatus: RunStatus
  /// Whether the process that holds a running run is alive (nil: cannot tell; its heartbeat decides).
  private let isAlive: @Sendable (RunOwner) -> Bool?
  private let current = Mutex<(runID: Int64, label: String)?>(nil)
  private let owner = ProcessIdentity.current

  public init(
    log: RunLog, policy: RerunPolicy = .failed, display: ProgressDisplay, trap: SignalTrap = .shared,
    runsRoot: URL? = nil, lease: TimeInterval = 90, heartbeatInterval: TimeInterval = 10,
    backend: any Backend = CPUBackend.shared, deviceDescription: String? = nil,
    cancelledStatus: RunStatus = .interrupted,
    isAlive: @escaping @Sendable (RunOwner) -> Bool? = { ProcessIdentity.isAlive($0) }
  ) {
    self.cancelledStatus = cancelledStatus
    self.isAlive = isAlive
    self.backend = backend
    self.deviceDescription = deviceDescription ?? backend.name
    self.log = log
    self.policy = policy
    self.display = display
    self.trap = trap
    self.runsRoot = runsRoot ?? Self.runsRoot(besideLog: log.path)
    self.lease = lease
    self.heartbeatInterval = heartbeatInterval
  }

  /// Marks the current run interrupted from the signal thread, before a forced exit.
  public func emergencyStop(signal: Int32) {
    guard let run = current.withLock({ $0 }) else { return }
    try? log.endRun(
      runID: run.runID, owner: owner, status: cancelledStatus, device: nil,
      error: RunCancelled(signal: signal).description + " (forced: the run did not stop in time)")
  }

  /// Runs what needs running, then analyses the experiment when every run is finished.
  /// - Parameters:
  ///   - experiment: the resolved experiment (`ResolvedExperiment.load`).
  ///   - only: run just these keys of the experiment (a Slurm array task); only they are registered.
  ///   - analyze: whether to analyse the experiment once its runs are finished.
  ///   - output: where the analysis prints its lines.
  /// - Throws: `RunCancelled` after a signal (the run is already marked), `RunLogError` when the log fails.
  public func run(
    _ experiment: ResolvedExperiment, only: Set<String>? = nil, analyze: Bool = true,
    output: @escaping (String) -> Void
  ) throws -> RunOutcome {
    let reaped = try log.reapOrphans(lease: lease, isAlive: isAlive)
    for run in reaped {
      display.note(
        "run \(run.key.prefix(8)) was left running by a process that ended (\(run.owner ?? "?")); marked interrupted")
    }
    let keys = try register(experiment, only: only)
    let byKey = Dictionary(uniqueKeysWithValues: experiment.runs.map { ($0.key, $0) })
    let before = try log.runs(keys: keys)
    var outcome = RunOutcome(total: keys.count)
    outcome.alreadyFinished = policy == .all ? 0 : before.filter { $0.status.isComplete }.count
    let toRun = keys.count - outcome.alreadyFinished
    if toRun == 0 {
      display.note("All \(keys.count) runs of '\(experiment.name)' are already finished; nothing to run.")
    } else {
      display.note(
        "\(experiment.name): \(keys.count) runs, \(outcome.alreadyFinished) already finished, \(toRun) to run")
    }
    display.sweepStarted(toRun: toRun)

    let gitRevision = Self.gitRevision(near: experiment.sourcePath)
    let invocationStart = Date()
    var attempted = Set<String>()
    var index = 0
    while true {
      try trap.check()
      guard
        let claimed = try log.claimNextRun(
          keys: keys, policy: policy, skip: attempted, owner: owner, lease: lease, isAlive: isAlive,
          environment: (Workbench.version, gitRevision), startedBefore: invocationStart,
          resumable: { [self] in hasCheckpoint(experiment: experiment.name, key: $0) })
      else { break }
      attempted.insert(claimed.key)
      index += 1
      var record = claimed
      var tries = 0
      while true {
        let status = try execute(record, plan: byKey[record.key]!, experiment: experiment.name, index: index)
        if status.isComplete {
          outcome.finished += 1
          if status == .diverged { outcome.diverged += 1 }
          break
        }
        if status == .running { break }  // taken over by another process
        tries += 1
        guard tries <= experiment.retries,
          let again = try log.claimNextRun(
            keys: [record.key], policy: .failed, skip: [], owner: owner, lease: lease,
            isAlive: isAlive, environment: (Workbench.version, gitRevision),
            resumable: { [self] in hasCheckpoint(experiment: experiment.name, key: $0) })
        else {
          outcome.failed += 1
          break
        }
        display.note("retrying \(record.key.prefix(8)) (\(tries) of \(experiment.retries))")
        record = again
      }
    }

    let after = try log.runs(keys: keys)
    outcome.runningElsewhere = after.filter { $0.status == .running }.count
    display.finish()
    if after.allSatisfy({ $0.status.isComplete }) {
      if analyze { outcome.analyzed = try self.analyze(experiment, output: output) }
      try trap.check()
    } else if outcome.runningElsewhere > 0 {
      display.note(
        "\(outcome.runningElsewhere) run(s) are being run by another workbench process; the analysis runs when the last one finishes"
      )
    }
    return outcome
  }

  /// `runs/` in the folder of the log: where run folders and reports go.
  public static func runsRoot(besideLog path: String) -> URL {
    URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().appendingPathComponent("runs")
  }

  /// Records the experiment, its sweep and its runs (pending where new) in the log.
  /// - Parameters:
  ///   - experiment: the resolved experiment.
  ///   - only: register just these of the experiment's runs (the sweep is still the whole one).
  /// - Returns: the keys registered, in plan order.
  @discardableResult
  public func register(_ experiment: ResolvedExperiment, only: Set<String>? = nil) throws -> [String] {
    let experimentID = try log.registerExperiment(
      name: experiment.name, plugin: experiment.plugin.id, sourcePath: experiment.sourcePath)
    let spec = try canonicalJSON([
      "source": experiment.sourcePath, "overrides": experiment.overrides.joined(separator: " "),
    ])
    let sweepID = try log.registerSweep(
      experimentID: experimentID, key: experiment.sweepKey, spec: spec, runCount: experiment.runs.count)
    let runs = experiment.runs.filter { only?.contains($0.key) ?? true }
    try log.registerRuns(
      runs.map {
        RunRecord(
          key: $0.key, experimentID: experimentID, sweepID: sweepID, label: $0.label, plugin: experiment.plugin.id,
          pluginVersion: experiment.plugin.version, seed: Int64($0.seed), config: $0.configJSON)
      })
    return runs.map(\.key)
  }

  /// Runs the plugin's analysis over the experiment's runs when every one is finished in the log.
  /// - Returns: whether it ran.
  @discardableResult
  public func analyze(_ experiment: ResolvedExperiment, output: @escaping (String) -> Void) throws -> Bool {
    let keys = experiment.runs.map(\.key)
    let found = Dictionary(uniqueKeysWithValues: try log.runs(keys: keys).map { ($0.key, $0) })
    let ordered = keys.compactMap { found[$0] }
    guard ordered.count == keys.count, ordered.allSatisfy({ $0.status.isComplete }),
      let record = try log.experiment(named: experiment.name)
    else { return false }
    let context = AnalysisContext(
      experiment: record, directory: runsRoot.appendingPathComponent(experiment.name), log: log, output: output)
    try experiment.plugin.analyzeRuns(ordered, context)
    return true
  }

  /// The folder of a run: `runs/<experiment>/<run-key>/`.
  public func directory(experiment: String, key: String) -> URL {
    runsRoot.appendingPathComponent(experiment).appendingPathComponent(key)
  }

  func hasCheckpoint(experiment: String, key: String) -> Bool {
    FileManager.default.fileExists(
      atPath: directory(experiment: experiment, key: key).appendingPathComponent(RunContext.checkpointName).path)
  }

  /// Executes one claimed run and records how it ended. Returns `.running` when another process
  /// took the run over meanwhile (its result is then that process's to record).
  private func execute(_ record: RunRecord, plan: PlannedRun, experiment: String, index: Int) throws -> RunStatus {
    let directory = directory(experiment: experiment, key: record.key)
    let context = RunContext(
      record: record, owner: owner, directory: directory, log: log, display: display, trap: trap, backend: backend,
      device: deviceDescription)
    current.withLock { $0 = (record.id!, record.label) }
    defer { current.withLock { $0 = nil } }
    display.runStarted(record, index: index)
    let heartbeat = Heartbeat(interval: heartbeatInterval) { [log, owner] in
      try? log.heartbeat(runID: record.id!, owner: owner)
    }
    defer { heartbeat.stop() }

    let status: RunStatus
    var summary = RunSummary()
    var message: String?
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      summary = try plan.execute(context)
      try context.flush()
      status = .finished
    } catch let cancelled as RunCancelled {
      try? context.flush()
      try log.endRun(
        runID: record.id!, owner: owner, status: cancelledStatus, device: context.device, error: cancelled.description)
      display.runFinished(record, status: cancelledStatus, error: cancelled.description)
      throw cancelled
    } catch let diverged as RunDiverged {
      try? context.flush()
      status = .diverged
      summary = diverged.summary
      message = diverged.description
    } catch let error as RunLogError where error.code == .notOwner {
      display.note("\(record.key.prefix(8)): \(error.message); this process stops running it")
      return .running
    } catch let error as RunLogError {
      try? log.endRun(
        runID: record.id!, owner: owner, status: .failed, device: context.device, error: "run log: \(error)")
      throw error
    } catch {
      try? context.flush()
      status = .failed
      message = "\(error)"
    }
    try log.endRun(
      runID: record.id!, owner: owner, status: status, summary: summary, device: context.device, error: message)
    var ended = record
    ended.finalTrainLoss = summary.finalTrainLoss
    ended.finalValLoss = summary.finalValLoss
    display.runFinished(ended, status: status, error: message)
    return status
  }

  /// `git rev-parse HEAD` of the repository holding the experiment file (with `-dirty` when it has
  /// uncommitted changes), or nil outside a repository.
  static func gitRevision(near path: String) -> String? {
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard let head = Self.git(["-C", folder, "rev-parse", "HEAD"]), !head.isEmpty else { return nil }
    let dirty = Self.git(["-C", folder, "status", "--porcelain", "--untracked-files=no"]).map { !$0.isEmpty } ?? false
    return dirty ? head + "-dirty" : head
  }

  private static func git(_ arguments: [String]) -> String? {
    guard let git = Subprocess.find("git"), let result = try? Subprocess.run(git, arguments), result.status == 0
    else { return nil }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

/// Calls `beat` every `interval` seconds on a background thread until stopped.
final class Heartbeat: Sendable {
  private let stopped = Mutex(false)
  private let condition = NSCondition()

  init(interval: TimeInterval, beat: @escaping @Sendable () -> Void) {
    let thread = Thread { [self] in
      while true {
        condition.lock()
        _ = condition.wait(until: Date().addingTimeInterval(interval))
        condition.unlock()
        if stopped.withLock({ $0 }) { return }
        beat()
      }
    }
    thread.start()
  }

  func stop() {
    stopped.withLock { $0 = true }
    condition.lock()
    condition.signal()
    condition.unlock()
  }
}
