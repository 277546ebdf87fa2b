import Foundation
import GRDB

/// A summary of one metric of one run.
public struct MetricSummary: Sendable, Codable {
  public var name: String
  public var count: Int
  public var firstStep: Int64
  public var lastStep: Int64
  public var last: Double
  public var min: Double
  public var max: Double
}

/// The result of a read-only SQL query: column names and rows of values.
public struct QueryResult: Sendable {
  public var columns: [String]
  /// Each cell is nil (NULL), Int64, Double, String, or Data (BLOB).
  public var rows: [[QueryValue]]
}

/// One cell of a query result.
public enum QueryValue: Sendable, Equatable {
  case null
  case integer(Int64)
  case real(Double)
  case text(String)
  case blob(Data)

  init(_ value: DatabaseValue) {
    switch value.storage {
    case .null: self = .null
    case .int64(let v): self = .integer(v)
    case .double(let v): self = .real(v)
    case .string(let v): self = .text(v)
    case .blob(let v): self = .blob(v)
    }
  }
}

extension RunLog {
  /// Every experiment, oldest first.
  public func experiments() throws -> [ExperimentRecord] {
    try read { db in try ExperimentRecord.order(Column("id")).fetchAll(db) }
  }

  /// The experiment with this name, if logged.
  public func experiment(named name: String) throws -> ExperimentRecord? {
    try read { db in try ExperimentRecord.filter(Column("name") == name).fetchOne(db) }
  }

  /// Runs, oldest first, optionally of one experiment and in some statuses.
  public func runs(experimentID: Int64? = nil, statuses: [RunStatus]? = nil) throws -> [RunRecord] {
    try read { db in
      var request = RunRecord.order(Column("id"))
      if let experimentID { request = request.filter(Column("experiment_id") == experimentID) }
      if let statuses { request = request.filter(statuses.map(\.rawValue).contains(Column("status"))) }
      return try request.fetchAll(db)
    }
  }

  /// The run with this numeric id, key, or unique key prefix.
  /// - Throws: when a prefix matches several runs.
  public func run(matching reference: String) throws -> RunRecord? {
    try read { db in
      if let id = Int64(reference), let run = try RunRecord.fetchOne(db, key: id) { return run }
      if let run = try RunRecord.filter(Column("key") == reference).fetchOne(db) { return run }
      let matches = try RunRecord.filter(sql: "substr(key, 1, ?) = ?", arguments: [reference.count, reference])
        .limit(2).fetchAll(db)
      if matches.count > 1 {
        throw RunLogError(
          .sql, path: path, "run reference '\(reference)' matches several runs; give more characters of the key")
      }
      return matches.first
    }
  }

  /// The metrics of a run, by name and step.
  public func metrics(runID: Int64, name: String? = nil) throws -> [MetricRecord] {
    try read { db in
      var request = MetricRecord.filter(Column("run_id") == runID)
      if let name { request = request.filter(Column("name") == name) }
      return try request.order(Column("name"), Column("step")).fetchAll(db)
    }
  }

  /// Per metric name of a run: how many points, step range, last, min and max value.
  public func metricSummaries(runID: Int64) throws -> [MetricSummary] {
    try read { db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT name, count(*) AS n, min(step) AS first_step, max(step) AS last_step,
                 (SELECT value FROM metric m2 WHERE m2.run_id = metric.run_id AND m2.name = metric.name
                  ORDER BY step DESC LIMIT 1) AS last, min(value) AS lo, max(value) AS hi
          FROM metric WHERE run_id = ? GROUP BY name ORDER BY name
          """, arguments: [runID])
      return rows.map {
        MetricSummary(
          name: $0["name"], count: $0["n"], firstStep: $0["first_step"], lastStep: $0["last_step"],
          last: $0["last"], min: $0["lo"], max: $0["hi"])
      }
    }
  }

  /// The files a run recorded.
  public func artifacts(runID: Int64) throws -> [ArtifactRecord] {
    try read { db in try ArtifactRecord.filter(Column("run_id") == runID).order(Column("id")).fetchAll(db) }
  }

  /// The fits of an experiment, newest last.
  public func fits(experimentID: Int64) throws -> [FitRecord] {
    try read { db in try FitRecord.filter(Column("experiment_id") == experimentID).order(Column("id")).fetchAll(db) }
  }

  /// Runs `sql` and returns every row. On a log opened read-only any write fails with `.readOnly`.
  public func query(_ sql: String, arguments: [String] = []) throws -> QueryResult {
    try read { db in
      let statement = try db.makeStatement(sql: sql)
      statement.arguments = StatementArguments(arguments)
      var rows: [[QueryValue]] = []
      let cursor = try Row.fetchCursor(statement)
      while let row = try cursor.next() {
        rows.append(row.databaseValues.map(QueryValue.init))
      }
      return QueryResult(columns: statement.columnNames, rows: rows)
    }
  }
}
