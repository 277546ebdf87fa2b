import Foundation
import GRDB

/// Which runs `workbench run` starts again.
public enum RerunPolicy: String, Sendable, CaseIterable {
  /// Runs that failed or were interrupted (the default).
  case failed
  /// Every run, finished ones included.
  case all
  /// Only runs that never started.
  case none

  /// Whether a run whose log status is `status` starts under this policy: the one rule behind the
  /// claim (`RunLog.claimNextRun`), `workbench run --dry-run` and Slurm submission. A run not in
  /// the log yet counts as `.pending`. A `.running` run never starts by policy: the claim takes over
  /// an orphaned one (its owner gone, or silent past the lease) whatever the policy.
  public func starts(_ status: RunStatus) -> Bool {
    switch status {
    case .pending: true
    case .failed, .interrupted, .preempted: self != .none
    case .finished, .diverged: self == .all
    case .running: false
    }
  }
}

/// The process that holds a run while it is running: `host:pid:start-time`.
public struct RunOwner: Sendable, Equatable {
  public var host: String
  public var pid: Int32
  /// A value that differs between two processes that reused one pid (Linux: start time in ticks).
  public var startToken: String

  public init(host: String, pid: Int32, startToken: String) {
    self.host = host
    self.pid = pid
    self.startToken = startToken
  }

  public init?(encoded: String) {
    let parts = encoded.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]) else { return nil }
    host = parts[0..<(parts.count - 2)].joined(separator: ":")
    self.pid = pid
    startToken = String(parts[parts.count - 1])
  }

  public var encoded: String { "\(host):\(pid):\(startToken)" }
}

extension RunLog {
  /// Inserts the experiment if new and returns its id.
  /// - Throws: when the name already belongs to an experiment of another plugin.
  public func registerExperiment(name: String, plugin: String, sourcePath: String?) throws -> Int64 {
    try write { db in
      if let existing = try ExperimentRecord.filter(Column("name") == name).fetchOne(db) {
        guard existing.plugin == plugin else {
          throw RunLogError(
            .sql, path: path,
            "experiment '\(name)' in \(path) belongs to plugin '\(existing.plugin)', not '\(plugin)'; give this experiment another name: (name: …)"
          )
        }
        return existing.id!
      }
      var record = ExperimentRecord(name: name, plugin: plugin, sourcePath: sourcePath)
      try record.insert(db)
      return record.id!
    }
  }

  /// Inserts the sweep (by key) if new and returns its id.
  public func registerSweep(experimentID: Int64, key: String, spec: String, runCount: Int) throws -> Int64 {
    try write { db in
      if let id = try Int64.fetchOne(db, sql: "SELECT id FROM sweep WHERE key = ?", arguments: [key]) { return id }
      var record = SweepRecord(experimentID: experimentID, key: key, spec: spec, runCount: runCount)
      try record.insert(db)
      return record.id!
    }
  }

  /// Records runs as pending; a run whose key is already logged is left as it is.
  public func registerRuns(_ runs: [RunRecord]) throws {
    try write { db in
      for var run in runs { try run.insert(db, onConflict: .ignore) }
    }
  }

  /// The logged runs with these keys, in no particular order.
  public func runs(keys: [String]) throws -> [RunRecord] {
    try read { db in
      var found: [RunRecord] = []
      for chunk in stride(from: 0, to: keys.count, by: 500) {
        let slice = Array(keys[chunk..<min(chunk + 500, keys.count)])
        found += try RunRecord.filter(slice.contains(Column("key"))).fetchAll(db)
      }
      return found
    }
  }

  /// Marks runs left `running` by a process that no longer exists (SIGKILL, power loss) as
  /// interrupted. A run counts as orphaned when `isAlive` says its owner is gone, or when its
  /// heartbeat is older than `lease`.
  /// - Returns: the runs it marked.
  @discardableResult
  public func reapOrphans(lease: TimeInterval, isAlive: (RunOwner) -> Bool?) throws -> [RunRecord] {
    try write { db in
      let running = try RunRecord.filter(Column("status") == RunStatus.running.rawValue).fetchAll(db)
      var reaped: [RunRecord] = []
      for var run in running where Self.isOrphan(run, lease: lease, isAlive: isAlive) {
        run.status = .interrupted
        run.error = "interrupted: its process (\(run.owner ?? "unknown")) ended without finishing"
        try run.update(db)
        reaped.append(run)
      }
      return reaped
    }
  }

  static func isOrphan(_ run: RunRecord, lease: TimeInterval, isAlive: (RunOwner) -> Bool?) -> Bool {
    if let owner = run.owner.flatMap(RunOwner.init(encoded:)), let alive = isAlive(owner) { return !alive }
    guard let heartbeat = run.heartbeatAt else { return true }
    return Date().timeIntervalSince(heartbeat) > lease
  }

  /// Atomically picks the first run among `keys` that `policy` says should run and nobody is
  /// running, marks it running under `owner`, clears what an earlier attempt logged, and returns it.
  /// - Parameters:
  ///   - skip: keys this process already attempted in this invocation.
  ///   - resumable: whether a run key has a checkpoint to continue from (its metrics are kept).
  ///   - startedBefore: a failed, interrupted or finished run is claimed again only if its last
  ///     attempt ended before this moment (the invocation's start) and the process that made it is
  ///     not still alive, so processes sharing a log never re-run what a sibling ran.
  public func claimNextRun(
    keys: [String], policy: RerunPolicy, skip: Set<String>, owner: RunOwner, lease: TimeInterval,
    isAlive: (RunOwner) -> Bool?, environment: (workbenchVersion: String, gitRevision: String?),
    startedBefore: Date = .distantFuture, resumable: (String) -> Bool = { _ in false }
  ) throws -> RunRecord? {
    try write { db in
      let wanted = Set(keys).subtracting(skip)
      guard !wanted.isEmpty else { return nil }
      var byKey: [String: RunRecord] = [:]
      for chunk in stride(from: 0, to: keys.count, by: 500) {
        let slice = keys[chunk..<min(chunk + 500, keys.count)].filter(wanted.contains)
        for run in try RunRecord.filter(slice.contains(Column("key"))).fetchAll(db) { byKey[run.key] = run }
      }
      for key in keys where wanted.contains(key) {
        guard var run = byKey[key] else { continue }
        // The log stores times to the millisecond (truncated): keep a margin so a sibling's start
        // just after `startedBefore` never reads as earlier.
        // A sibling process that is still alive owns its failures: never re-run them under it.
        let lastOwner = run.owner.flatMap(RunOwner.init(encoded:))
        let siblingAlive = lastOwner.map { $0 != owner && isAlive($0) == true } ?? false
        let ended = run.finishedAt ?? run.startedAt ?? .distantPast
        let earlier = ended < startedBefore.addingTimeInterval(-0.002) && !siblingAlive
        let claimable =
          switch run.status {
          case .pending: true
          case .running: Self.isOrphan(run, lease: lease, isAlive: isAlive)
          default: policy.starts(run.status) && earlier
          }
        guard claimable else { continue }
        let now = Date()
        run.status = .running
        run.attempts += 1
        run.owner = owner.encoded
        run.host = owner.host
        run.workbenchVersion = environment.workbenchVersion
        run.gitRevision = environment.gitRevision
        run.startedAt = now
        run.heartbeatAt = now
        run.finishedAt = nil
        run.durationSeconds = nil
        run.error = nil
        run.device = nil
        run.apply(RunSummary())
        try run.update(db)
        // A run that will continue from its checkpoint keeps what it logged; any other starts clean.
        if !resumable(key) {
          try db.execute(sql: "DELETE FROM metric WHERE run_id = ?", arguments: [run.id])
          try db.execute(sql: "DELETE FROM artifact WHERE run_id = ?", arguments: [run.id])
        }
        return run
      }
      return nil
    }
  }

  /// Refreshes the heartbeat of a run this process owns.
  public func heartbeat(runID: Int64, owner: RunOwner) throws {
    try write { db in
      try db.execute(
        sql: "UPDATE run SET heartbeat_at = ? WHERE id = ? AND owner = ? AND status = 'running'",
        arguments: [Date(), runID, owner.encoded])
    }
  }

  /// Ends a run this process owns: `finished` with its summary, or `failed`/`interrupted` with the
  /// error text. A run another process took over in the meantime is left alone.
  public func endRun(
    runID: Int64, owner: RunOwner, status: RunStatus, summary: RunSummary = RunSummary(), device: String?,
    error: String? = nil
  ) throws {
    try write { db in
      guard var run = try RunRecord.fetchOne(db, key: runID), run.owner == owner.encoded else { return }
      let now = Date()
      run.status = status
      run.finishedAt = now
      run.heartbeatAt = now
      run.durationSeconds = run.startedAt.map { now.timeIntervalSince($0) }
      run.device = device ?? run.device
      run.error = error
      run.apply(summary)
      try run.update(db)
    }
  }

  /// Writes a batch of metrics in one transaction; a (run, name, step) already logged is replaced.
  /// - Parameter owner: when given, the write happens only while `owner` still holds every run in
  ///   the batch (a run another process took over is never mixed with this one's values).
  /// - Throws: `RunLogError` with code `.notOwner` when `owner` no longer holds a run.
  public func appendMetrics(_ metrics: [MetricRecord], owner: RunOwner? = nil) throws {
    guard !metrics.isEmpty else { return }
    try write { db in
      if let owner {
        for runID in Set(metrics.map(\.runID)) { try Self.requireOwnership(db, runID: runID, owner: owner, path: path) }
      }
      let statement = try db.cachedStatement(
        sql: """
          INSERT INTO metric (run_id, name, step, value, tokens, flops, elapsed_s) VALUES (?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (run_id, name, step) DO UPDATE SET
            value = excluded.value, tokens = excluded.tokens, flops = excluded.flops, elapsed_s = excluded.elapsed_s
          """)
      for m in metrics {
        try statement.execute(arguments: [m.runID, m.name, m.step, m.value, m.tokens, m.flops, m.elapsedSeconds])
      }
    }
  }

  /// Deletes a run's metrics after `step` (a run resuming from a checkpoint taken at `step`).
  public func deleteMetrics(runID: Int64, after step: Int, owner: RunOwner) throws {
    try write { db in
      try Self.requireOwnership(db, runID: runID, owner: owner, path: path)
      try db.execute(sql: "DELETE FROM metric WHERE run_id = ? AND step > ?", arguments: [runID, step])
    }
  }

  /// Records (or replaces, by run and path) a file a run wrote; with `owner`, only while it holds the run.
  public func recordArtifact(_ artifact: ArtifactRecord, owner: RunOwner? = nil) throws {
    try write { db in
      if let owner { try Self.requireOwnership(db, runID: artifact.runID, owner: owner, path: path) }
      try db.execute(
        sql: "DELETE FROM artifact WHERE run_id = ? AND path = ?", arguments: [artifact.runID, artifact.path])
      var record = artifact
      try record.insert(db)
    }
  }

  /// Stores a fit and links it to the runs whose points it used. It replaces an earlier fit of the
  /// same experiment, form and options, so analysing again does not pile up copies.
  @discardableResult
  public func insertFit(_ fit: FitRecord, runIDs: [Int64]) throws -> Int64 {
    try write { db in
      try db.execute(
        sql: "DELETE FROM fit WHERE experiment_id = ? AND form = ? AND options IS ?",
        arguments: [fit.experimentID, fit.form, fit.options])
      var record = fit
      try record.insert(db)
      for runID in Set(runIDs) {
        try db.execute(sql: "INSERT INTO fit_run (fit_id, run_id) VALUES (?, ?)", arguments: [record.id, runID])
      }
      return record.id!
    }
  }
}

extension RunLog {
  static func requireOwnership(_ db: Database, runID: Int64, owner: RunOwner, path: String) throws {
    let held =
      try Bool.fetchOne(
        db, sql: "SELECT count(*) > 0 FROM run WHERE id = ? AND owner = ? AND status = 'running'",
        arguments: [runID, owner.encoded]) ?? false
    guard held else {
      throw RunLogError(
        .notOwner, path: path,
        "run \(runID) is no longer held by this process (another process took it over, or a merge replaced it)")
    }
  }
}

extension RunRecord {
  mutating func apply(_ summary: RunSummary) {
    N = summary.N
    NTotal = summary.NTotal
    D = summary.D
    C = summary.C
    finalTrainLoss = summary.finalTrainLoss
    finalValLoss = summary.finalValLoss
  }
}
