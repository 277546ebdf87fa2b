import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog

struct QueryCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "query",
    abstract: "Run read-only SQL over the log.",
    discussion: """
      The log is opened read-only: statements that would change it fail and the file stays as it was.
      Tables: experiment, sweep, run, metric, artifact, fit, fit_run (docs/run-log.md).
      Example: workbench query "SELECT label, N, final_val_loss FROM run WHERE status = 'finished' ORDER BY N"
      """)

  @Argument(help: "One SQL statement.")
  var sql: String

  @Flag(help: "Print CSV with a header row.")
  var csv = false

  @Flag(help: "Print a JSON array of row objects.")
  var json = false

  @OptionGroup var log: LogOptions

  func validate() throws {
    if csv && json { throw ValidationError("choose one of --csv and --json") }
  }

  func run() throws {
    let runLog = try RunLog(path: log.path, readOnly: true)
    let result: QueryResult
    do {
      result = try runLog.query(sql)
    } catch let error as RunLogError where error.code == .readOnly {
      throw RunLogError(
        .readOnly, path: runLog.path,
        "workbench query is read-only and cannot change the log (\(error.cause ?? error.message)); the file is unchanged"
      )
    }
    if csv {
      emit(result.columns.map(\.csvField).joined(separator: ","))
      for row in result.rows { emit(row.map { Self.text($0, null: "").csvField }.joined(separator: ",")) }
    } else if json {
      let objects = result.rows.map { row in
        Dictionary(uniqueKeysWithValues: zip(result.columns, row.map(Self.json)))
      }
      emit(try RunJSON.encode(objects))
    } else {
      var table = TextTable(result.columns)
      for row in result.rows { table.append(row.map { Self.text($0, null: "NULL") }) }
      emit(table.render())
      emit("(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))")
    }
  }

  static func text(_ value: QueryValue, null: String) -> String {
    switch value {
    case .null: return null
    case .integer(let v): return String(v)
    case .real(let v): return String(v)
    case .text(let v): return v
    case .blob(let v): return "x'" + v.map { String(format: "%02x", $0) }.joined() + "'"
    }
  }

  static func json(_ value: QueryValue) -> JSONValue {
    switch value {
    case .null: return .null
    case .integer(let v): return .integer(v)
    case .real(let v): return .number(v)
    case .text(let v): return .string(v)
    case .blob(let v): return .string(v.base64EncodedString())
    }
  }
}
