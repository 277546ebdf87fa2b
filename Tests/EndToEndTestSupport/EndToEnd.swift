// What the end-to-end tests share: they run the built `workbench` and read the log it wrote.
import Foundation
import WorkbenchRunLog
import WorkbenchTestSupport

/// A small curve sweep whose runs take about half a second each, so a test can interrupt one.
public func slowSweep(sizes: [String] = ["1e7", "2e7", "4e7", "8e7", "1.6e8", "3.2e8"], stepMilliseconds: Int = 10)
  -> String
{
  """
  plugin: curve-sweep
  size: [\(sizes.joined(separator: ", "))]
  steps: 50
  eval_every: 10
  step_ms: \(stepMilliseconds)
  """
}

/// Metric rows one run of `slowSweep` logs: 50 train losses and 5 validation losses.
public let metricsPerRun = 55

/// Reads the log at `path` read-only.
public func runs(in path: String) throws -> [RunRecord] {
  try RunLog(path: path, readOnly: true).runs()
}

/// Runs `sqlite3` (the SQLite shell) on `database` with `sql`.
/// (A busy timeout: a read that meets a writer's lock — a merge or a run just finishing — waits
/// for it instead of printing nothing.)
public func sqlite3(_ database: String, _ sql: String, readOnly: Bool = false) throws -> ProcessResult {
  try tool("sqlite3", ["-bail", "-cmd", ".timeout 10000"] + (readOnly ? ["-readonly"] : []) + [database, sql])
}

/// Runs a command found on the PATH to completion (stdout may be large: stderr must stay small).
public func tool(_ name: String, _ arguments: [String]) throws -> ProcessResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
  process.arguments = [name] + arguments
  let out = Pipe()
  let err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return ProcessResult(
    status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
    stderr: String(decoding: stderr, as: UTF8.self))
}

/// The bytes of a file, or nil.
public func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
