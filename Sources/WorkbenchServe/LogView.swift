import Foundation
import GRDB
import GRDBSQLite
import Synchronization
import WorkbenchRunLog

/// One experiment as the experiments page lists it.
public struct ExperimentOverview: Sendable, Encodable {
  public var name: String
  public var plugin: String
  public var createdAt: Date
  /// Runs by status (only statuses with runs).
  public var runs: [String: Int]
  public var runCount: Int
  /// The latest of every run's creation, start, heartbeat and end.
  public var lastActivity: Date?

  enum CodingKeys: String, CodingKey {
    case name, plugin, runs
    case createdAt = "created_at"
    case runCount = "run_count"
    case lastActivity = "last_activity"
  }
}

/// The run log as `workbench serve` sees it: opened read-only, with thinned curves cached per run.
///
/// Runs keep writing the log while it is served (SQLite WAL): every request reads the latest
/// committed state. `version` changes whenever another process commits, which is what the pages'
/// live updates poll.
public final class LogView: Sendable {
  /// The log, opened read-only: no page or endpoint can change it.
  public let log: RunLog
  /// Where run folders and reports live (`runs/` beside the log).
  public let runsRoot: URL
  /// Buckets per cached curve (`Downsample.curve`): at most 2 · 200 + 2 points per run and metric.
  public static let cachedBuckets = 200

  private struct CachedRun {
    var version: Int64
    var status: RunStatus
    var attempts: Int
    var finishedAt: Date?
    var curves: [String: [CurvePoint]]
  }
  private let curveCache = Mutex<[Int64: CachedRun]>([:])
  private let configCache = Mutex<[Int64: [String: JSONValue]]>([:])
  /// Each experiment's runs as of a version of the log.
  private let runCache = Mutex<[Int64: (version: Int64, runs: [RunRecord])]>([:])

  /// Opens `path` read-only; a missing file, another program's database or a newer schema is a
  /// `RunLogError` with one line that says so.
  public init(path: String) throws {
    log = try RunLog(path: path, readOnly: true)
    runsRoot = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().appendingPathComponent("runs")
  }

  /// Changes whenever another connection commits to the log (`PRAGMA data_version`).
  public func version() throws -> Int64 {
    try log.read { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
  }

  /// Every experiment with its runs counted by status and its last activity.
  public func experiments() throws -> [ExperimentOverview] {
    let formatter = DatabaseDateFormat.shared
    return try log.read { db in
      let counts = try Row.fetchAll(
        db,
        sql: """
          SELECT experiment_id, status, count(*) AS n,
                 max(max(created_at, coalesce(started_at, ''), coalesce(heartbeat_at, ''), coalesce(finished_at, ''))) AS last
          FROM run GROUP BY experiment_id, status
          """)
      var byExperiment: [Int64: (runs: [String: Int], last: String)] = [:]
      for row in counts {
        let id: Int64 = row["experiment_id"]
        var entry = byExperiment[id] ?? ([:], "")
        entry.runs[row["status"]] = row["n"]
        entry.last = max(entry.last, row["last"] ?? "")
        byExperiment[id] = entry
      }
      return try ExperimentRecord.order(Column("name")).fetchAll(db).map { experiment in
        let entry = byExperiment[experiment.id!] ?? ([:], "")
        return ExperimentOverview(
          name: experiment.name, plugin: experiment.plugin, createdAt: experiment.createdAt, runs: entry.runs,
          runCount: entry.runs.values.reduce(0, +), lastActivity: formatter.date(entry.last))
      }
    }
  }

  /// The experiment named `name`, if the log has it.
  public func experiment(named name: String) throws -> ExperimentRecord? { try log.experiment(named: name) }

  /// The runs of an experiment, oldest first (read again only when the log has changed).
  public func runs(of experiment: ExperimentRecord) throws -> [RunRecord] {
    let version = try version()
    if let cached = runCache.withLock({ $0[experiment.id!] }), cached.version == version { return cached.runs }
    let runs = try log.runs(experimentID: experiment.id)
    runCache.withLock { $0[experiment.id!] = (version, runs) }
    return runs
  }

  /// The run with this key, unique key prefix or id; nil when there is none (or the prefix is ambiguous).
  public func run(_ reference: String) throws -> RunRecord? {
    guard !reference.isEmpty, reference.count <= 64,
      reference.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
    else { return nil }
    do {
      return try log.run(matching: reference)
    } catch let error as RunLogError where error.code == .sql {
      return nil
    }
  }

  /// A run's resolved config as a flat map of dotted key paths to values (cached: a run's config never changes).
  public func flatConfig(_ run: RunRecord) -> [String: JSONValue] {
    if let cached = configCache.withLock({ $0[run.id!] }) { return cached }
    let value = JSONFragment(run.config).value
    var flat: [String: JSONValue] = [:]
    func walk(_ value: JSONValue, _ path: String) {
      if case .object(let object) = value, !object.isEmpty {
        for (key, inner) in object { walk(inner, path.isEmpty ? key : "\(path).\(key)") }
      } else {
        flat[path.isEmpty ? "config" : path] = value
      }
    }
    walk(value, "")
    configCache.withLock { $0[run.id!] = flat }
    return flat
  }

  /// The thinned curves of a run, by metric name. A run that is not running is read once (again
  /// when its status, attempts or end change); a running one whenever the log has changed.
  public func curves(_ run: RunRecord, version: Int64) throws -> [String: [CurvePoint]] {
    let id = run.id!
    if let cached = curveCache.withLock({ $0[id] }) {
      let unchanged =
        cached.status == run.status && cached.attempts == run.attempts && cached.finishedAt == run.finishedAt
      // Only a running run (or a pending one about to start) adds points.
      let settled = run.status != .running && run.status != .pending
      if unchanged && (cached.version == version || settled) { return cached.curves }
    }
    // Straight through SQLite's C API: a large log holds millions of points and row decoding
    // dominated the first view of a big sweep.
    let raw = try log.read { db -> [String: [CurvePoint]] in
      let names = try String.fetchAll(db, sql: "SELECT DISTINCT name FROM metric WHERE run_id = ?", arguments: [id])
      let statement = try db.cachedStatement(
        sql: "SELECT step, value, tokens, flops FROM metric WHERE run_id = ? AND name = ? ORDER BY step")
      var curves: [String: [CurvePoint]] = [:]
      for name in names {
        try statement.setArguments([id, name])
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        var points: [CurvePoint] = []
        while true {
          let code = sqlite3_step(handle)
          if code == SQLITE_DONE { break }
          guard code == SQLITE_ROW else {
            throw RunLogError(
              .sql, path: log.path, "reading metric '\(name)': \(String(cString: sqlite3_errmsg(db.sqliteConnection)))")
          }
          points.append(
            CurvePoint(
              step: sqlite3_column_int64(handle, 0), value: sqlite3_column_double(handle, 1),
              tokens: sqlite3_column_type(handle, 2) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, 2),
              flops: sqlite3_column_type(handle, 3) == SQLITE_NULL ? nil : sqlite3_column_double(handle, 3)))
        }
        curves[name] = points
      }
      return curves
    }
    let curves = raw.mapValues { Downsample.curve($0, buckets: Self.cachedBuckets) }
    curveCache.withLock {
      $0[id] = CachedRun(
        version: version, status: run.status, attempts: run.attempts, finishedAt: run.finishedAt, curves: curves)
    }
    return curves
  }

  /// Every point of one metric of a run after `step` (all of them when nil), thinned to `maxPoints` when given.
  public func metric(_ run: RunRecord, name: String, after step: Int64?, maxPoints: Int?) throws -> [CurvePoint] {
    let points = try log.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT step, value, tokens, flops FROM metric WHERE run_id = ? AND name = ? AND step > ? ORDER BY step
          """, arguments: [run.id!, name, step ?? Int64.min]
      ).map { CurvePoint(step: $0[0], value: $0[1], tokens: $0[2], flops: $0[3]) }
    }
    guard let maxPoints else { return points }
    return Downsample.curve(points, buckets: max(1, (maxPoints - 2) / 2))
  }

  /// Reads every run's curves into the cache, experiment by experiment (what `serve` does in the
  /// background at start, so the first view of a large sweep is as fast as the next).
  public func warm() throws {
    let version = try version()
    for run in try log.runs() where run.status != .pending { _ = try curves(run, version: version) }
  }

  /// Whether a run has logged `name` at all.
  public func hasMetric(_ run: RunRecord, name: String) throws -> Bool {
    try log.read { db in
      try Bool.fetchOne(
        db, sql: "SELECT 1 FROM metric WHERE run_id = ? AND name = ? LIMIT 1", arguments: [run.id!, name])
        ?? false
    }
  }

  /// The fits of an experiment with the ids of the runs each was made from.
  public func fits(of experiment: ExperimentRecord) throws -> [(fit: FitRecord, runIDs: Set<Int64>)] {
    try log.read { db in
      let fits = try FitRecord.filter(Column("experiment_id") == experiment.id!).order(Column("id")).fetchAll(db)
      var members: [Int64: Set<Int64>] = [:]
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT fit_run.fit_id, fit_run.run_id FROM fit_run JOIN fit ON fit.id = fit_run.fit_id
          WHERE fit.experiment_id = ?
          """, arguments: [experiment.id!])
      for row in rows { members[row[0], default: []].insert(row[1]) }
      return fits.map { ($0, members[$0.id!] ?? []) }
    }
  }

  /// The artifacts a run recorded.
  public func artifacts(_ run: RunRecord) throws -> [ArtifactRecord] { try log.artifacts(runID: run.id!) }

  /// The experiment's report written by its plugin's analysis, when there is one.
  public func reportURL(of experiment: ExperimentRecord) -> URL? {
    // The name becomes a folder name: only names `workbench run` accepts (a merged log could hold others).
    guard !experiment.name.hasPrefix("."),
      experiment.name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) })
    else { return nil }
    let url = runsRoot.appendingPathComponent(experiment.name).appendingPathComponent("report.html")
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
      return nil
    }
    return url
  }
}

/// Parses the dates GRDB stores (`yyyy-MM-dd HH:mm:ss.SSS`, UTC) from SQL aggregates.
struct DatabaseDateFormat: Sendable {
  static let shared = DatabaseDateFormat()

  func date(_ text: String) -> Date? {
    guard !text.isEmpty else { return nil }
    return Date.fromDatabaseValue(text.databaseValue)
  }
}
