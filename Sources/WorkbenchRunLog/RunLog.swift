import Foundation
import GRDB

/// The SQLite file every run, metric, artifact and fit is recorded in.
///
/// WAL mode, a busy timeout, and short `BEGIN IMMEDIATE` write transactions make one log safe to
/// share between several `workbench` processes. A log opened `readOnly` can never change the file.
public final class RunLog: Sendable {
  /// Path of the log file.
  public let path: String
  let database: any DatabaseWriter
  /// How long a writer waits for another process's transaction before giving up.
  public static let busyTimeout: TimeInterval = 60

  /// Opens (and, unless `readOnly`, creates and migrates) the log at `path`.
  /// - Throws: `RunLogError` when the file is not SQLite, is another program's database, or was
  ///   written by a newer workbench.
  public init(path: String, readOnly: Bool = false) throws {
    self.path = path
    let exists = FileManager.default.fileExists(atPath: path)
    if readOnly && !exists {
      throw RunLogError(.missing, path: path, "no run log at \(path); run an experiment first or pass --log PATH")
    }
    if exists { try Self.checkHeader(path) }

    var configuration = Configuration()
    configuration.busyMode = .timeout(Self.busyTimeout)
    configuration.label = "workbench-log"
    configuration.foreignKeysEnabled = true
    do {
      // Inspect an existing file read-only first: a foreign or newer file must not even be
      // switched to WAL mode, which rewrites its header.
      if exists {
        var probing = configuration
        probing.readonly = true
        let probe = try DatabaseQueue(path: path, configuration: probing)
        try Self.checkSchema(probe, path: path, upgrade: !readOnly)
        if readOnly {
          database = probe
          return
        }
      }
      let pool = try Self.openPool(path, configuration)
      do {
        try Self.migrator.migrate(pool)
      } catch {
        // Another process may have applied the same migration between GRDB's check and our write.
        guard try pool.read({ try Self.migrator.hasCompletedMigrations($0) }) else { throw error }
      }
      database = pool
    } catch let error as RunLogError {
      throw error
    } catch {
      throw Self.translate(error, path: path)
    }
  }

  /// A private in-memory log, for tests.
  public init(inMemory: Void) throws {
    path = ":memory:"
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    database = try DatabaseQueue(configuration: configuration)
    try Self.migrator.migrate(database)
  }

  /// Several processes may open the same new file at once: WAL setup and migrations race, so a
  /// busy open is retried with backoff before it is reported.
  private static func openPool(_ path: String, _ configuration: Configuration) throws -> DatabasePool {
    var delay: useconds_t = 20_000
    let deadline = Date().addingTimeInterval(busyTimeout)
    while true {
      do {
        return try DatabasePool(path: path, configuration: configuration)
      } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
        if Date() > deadline { throw error }
        usleep(delay)
        delay = min(delay * 2, 500_000)
      }
    }
  }

  private static func checkHeader(_ path: String) throws {
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw RunLogError(.missing, path: path, "cannot read the run log \(path): permission denied or not a file")
    }
    defer { try? handle.close() }
    let header = (try? handle.read(upToCount: 16)) ?? Data()
    if header.isEmpty { return }  // an empty file becomes a new log
    if header != Data("SQLite format 3\u{0}".utf8) {
      throw RunLogError(
        .notSQLite, path: path,
        "\(path) is not a workbench log (not an SQLite database); pass another file with --log PATH")
    }
  }

  /// Refuses a file that is another program's database or was written by a newer workbench.
  private static func checkSchema(_ database: any DatabaseReader, path: String, upgrade: Bool) throws {
    let migrator = Self.migrator
    let (foreign, superseded, complete) = try database.read { db -> (Bool, Bool, Bool) in
      let applicationID = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
      // grdb_migrations alone is what another workbench process may have created a moment ago,
      // before its first migration (which sets the application id) committed.
      let tableCount =
        try Int.fetchOne(
          db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT IN ('grdb_migrations')") ?? 0
      if applicationID != Self.applicationID && tableCount > 0 { return (true, false, false) }
      return (false, try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db))
    }
    if foreign {
      throw RunLogError(
        .notAWorkbenchLog, path: path,
        "\(path) is an SQLite database but not a workbench log; pass another file with --log PATH")
    }
    if superseded {
      throw RunLogError(
        .newerSchema, path: path,
        "\(path) was written by a newer workbench (its schema has migrations this version does not know); upgrade workbench to read it"
      )
    }
    if !complete && !upgrade {
      throw RunLogError(
        .readOnly, path: path,
        "\(path) is empty or has an older log schema; run an experiment with this log to create or upgrade it")
    }
  }

  /// Turns a GRDB error into a `RunLogError` that names the file and says what to do.
  static func translate(_ error: any Error, path: String) -> RunLogError {
    if let error = error as? RunLogError { return error }
    guard let error = error as? DatabaseError else {
      return RunLogError(.sql, path: path, "run log \(path): \(error)")
    }
    let detail = error.message ?? "\(error.resultCode)"
    switch error.resultCode {
    case .SQLITE_NOTADB:
      return RunLogError(.notSQLite, path: path, "\(path) is not a workbench log (not an SQLite database)")
    case .SQLITE_READONLY:
      return RunLogError(.readOnly, path: path, "the run log \(path) is opened read-only", cause: detail)
    case .SQLITE_BUSY, .SQLITE_LOCKED:
      return RunLogError(
        .busy, path: path, "run log \(path) stayed locked by another process for \(Int(busyTimeout)) s", cause: detail)
    case .SQLITE_CANTOPEN:
      return RunLogError(.missing, path: path, "cannot open run log \(path): check the folder exists and is writable")
    case .SQLITE_FULL:
      return RunLogError(
        .sql, path: path, "the disk holding \(path) is full; free space and run again (nothing logged is lost)")
    default:
      return RunLogError(.sql, path: path, "run log \(path): \(detail)")
    }
  }

  /// Reads from the log, translating database errors.
  public func read<T>(_ body: (Database) throws -> T) throws -> T {
    do { return try database.read(body) } catch { throw Self.translate(error, path: path) }
  }

  /// Runs `body` in one short `BEGIN IMMEDIATE` transaction, translating database errors.
  public func write<T>(_ body: (Database) throws -> T) throws -> T {
    do {
      return try database.writeWithoutTransaction { db in
        var result: T?
        try db.inTransaction(.immediate) {
          result = try body(db)
          return .commit
        }
        return result!
      }
    } catch {
      throw Self.translate(error, path: path)
    }
  }
}
