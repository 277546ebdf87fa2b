import Foundation
import GRDB

/// What `merge(from:)` did with the runs of one shard.
public struct MergeReport: Sendable, Equatable {
  /// Runs that were not in this log.
  public var imported = 0
  /// Runs this log had unfinished and the shard had finished (or diverged).
  public var updated = 0
  /// Runs this log already had finished, or the shard had unfinished.
  public var skipped = 0

  public init() {}

  /// Adds another shard's counts.
  public static func += (total: inout MergeReport, other: MergeReport) {
    total.imported += other.imported
    total.updated += other.updated
    total.skipped += other.skipped
  }
}

extension RunLog {
  /// Imports the runs of another log file (a shard written on another machine), idempotent by
  /// run key: a run is imported once, with its metrics and artifacts; a finished run here is never
  /// replaced. A run the shard ended without a result (failed, interrupted, preempted) replaces
  /// an unfinished run here that ended earlier, so the log shows the latest attempt. The shard is opened read-only and the whole import is one transaction.
  /// A run this log has `running` under a live owner (see `isAlive` and `lease`) is left alone.
  public func merge(
    from shardPath: String, lease: TimeInterval = 90, isAlive: (RunOwner) -> Bool? = { _ in nil }
  ) throws -> MergeReport {
    guard FileManager.default.fileExists(atPath: shardPath) else {
      throw RunLogError(.missing, path: shardPath, "no such log file to merge: \(shardPath)")
    }
    return try merge(from: try RunLog(path: shardPath, readOnly: true), lease: lease, isAlive: isAlive)
  }

  /// `merge(from:)` of a shard already open (read-only is enough).
  public func merge(
    from shard: RunLog, lease: TimeInterval = 90, isAlive: (RunOwner) -> Bool? = { _ in nil }
  ) throws -> MergeReport {
    let (experiments, sweeps, runs) = try shard.read { db in
      (
        try ExperimentRecord.fetchAll(db), try SweepRecord.fetchAll(db),
        try RunRecord.order(Column("id")).fetchAll(db)
      )
    }
    let experimentNames = Dictionary(uniqueKeysWithValues: experiments.map { ($0.id!, $0) })
    let sweepsByID = Dictionary(uniqueKeysWithValues: sweeps.map { ($0.id!, $0) })
    var report = MergeReport()
    var wanted: [RunRecord] = []
    let local = Dictionary(uniqueKeysWithValues: try self.runs(keys: runs.map(\.key)).map { ($0.key, $0) })
    for run in runs {
      let here = local[run.key]
      if run.status.isComplete && here?.status.isComplete != true {
        wanted.append(run)
      } else if here == nil && run.status != .running {
        wanted.append(run)
      } else if let here, Self.endedLater(run, than: here) {
        wanted.append(run)
      } else {
        report.skipped += 1
      }
    }
    let payload = try shard.read { db in
      try wanted.map { run in
        (
          run, try MetricRecord.filter(Column("run_id") == run.id).fetchAll(db),
          try ArtifactRecord.filter(Column("run_id") == run.id).fetchAll(db)
        )
      }
    }
    try write { db in
      var experimentIDs: [Int64: Int64] = [:]
      var sweepIDs: [Int64: Int64] = [:]
      for (source, metrics, artifacts) in payload {
        guard let experiment = experimentNames[source.experimentID] else { continue }
        let experimentID = try Self.localID(
          db, of: experiment.id!, unique: "name", experiment.name, cache: &experimentIDs
        ) {
          var copy = experiment
          copy.id = nil
          return copy
        }
        var run = source
        run.experimentID = experimentID
        run.sweepID = try source.sweepID.flatMap { sweepsByID[$0] }.map { sweep in
          try Self.localID(db, of: sweep.id!, unique: "key", sweep.key, cache: &sweepIDs) {
            var copy = sweep
            copy.id = nil
            copy.experimentID = experimentID
            return copy
          }
        }
        if let existing = try RunRecord.filter(Column("key") == source.key).fetchOne(db) {
          let live = existing.status == .running && !Self.isOrphan(existing, lease: lease, isAlive: isAlive)
          guard !existing.status.isComplete && !live else {
            report.skipped += 1
            continue
          }
          run.id = existing.id
          try run.update(db)
          try db.execute(sql: "DELETE FROM metric WHERE run_id = ?", arguments: [existing.id])
          try db.execute(sql: "DELETE FROM artifact WHERE run_id = ?", arguments: [existing.id])
          report.updated += 1
        } else {
          run.id = nil
          try run.insert(db)
          report.imported += 1
        }
        for var metric in metrics {
          metric.runID = run.id!
          try metric.insert(db, onConflict: .replace)
        }
        for var artifact in artifacts {
          artifact.id = nil
          artifact.runID = run.id!
          try artifact.insert(db, onConflict: .replace)
        }
      }
    }
    return report
  }

  /// Whether `shard` is an unfinished attempt that ended after whatever `here` records (a pending
  /// run here has recorded nothing).
  static func endedLater(_ shard: RunRecord, than here: RunRecord) -> Bool {
    guard shard.status.isRetryable, here.status == .pending || here.status.isRetryable else { return false }
    guard let ended = shard.finishedAt else { return false }
    return here.status == .pending || ended > (here.finishedAt ?? .distantPast)
  }

  /// Records how an unfinished run ended when no shard says so (a Slurm task cancelled before it
  /// started, or killed before it could write): only a pending or retryable run is changed.
  /// - Returns: whether the run was changed.
  @discardableResult
  public func markEnded(key: String, status: RunStatus, error: String) throws -> Bool {
    precondition(status.isRetryable, "markEnded records a run that ended without a result")
    return try write { db in
      guard var run = try RunRecord.filter(Column("key") == key).fetchOne(db),
        run.status == .pending || run.status.isRetryable
      else { return false }
      if run.status == status && run.error == error { return false }
      run.status = status
      run.error = error
      run.finishedAt = Date()
      try run.update(db)
      return true
    }
  }

  /// This log's id for a shard's experiment or sweep (`shardID` in the shard): the row whose
  /// `column` holds the same unique value, else `copy()` inserted under a new id. `cache` maps the
  /// shard's ids to this log's.
  private static func localID<Record: MutablePersistableRecord>(
    _ db: Database, of shardID: Int64, unique column: String, _ value: String, cache: inout [Int64: Int64],
    copy: () -> Record
  ) throws -> Int64 {
    if let id = cache[shardID] { return id }
    let table = Record.databaseTableName
    var id = try Int64.fetchOne(db, sql: "SELECT id FROM \(table) WHERE \(column) = ?", arguments: [value])
    if id == nil {
      var record = copy()
      try record.insert(db)
      id = db.lastInsertedRowID
    }
    cache[shardID] = id!
    return id!
  }
}
