import Foundation

/// What a finished `workbench` process printed and how it exited.
public struct ProcessResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String
  /// The non-empty lines of standard error.
  public var stderrLines: [String] { stderr.split(separator: "\n").map(String.init).filter { !$0.isEmpty } }

  public init(status: Int32, stdout: String, stderr: String) {
    self.status = status
    self.stdout = stdout
    self.stderr = stderr
  }
}

/// Runs the `workbench` executable built beside the tests.
public enum WorkbenchProcess {
  /// The built `workbench` binary: next to the test bundle, else in `.build/debug`.
  public static let binary: URL = {
    if let path = ProcessInfo.processInfo.environment["WORKBENCH_BINARY"] { return URL(fileURLWithPath: path) }
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
      let candidate = folder.appendingPathComponent("workbench")
      if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
      folder = folder.deletingLastPathComponent()
    }
    return packageRoot.appendingPathComponent(".build/debug/workbench")
  }()

  /// The environment a `workbench` started by a test sees: this one's, without a log path that
  /// would redirect it, without colour, with `extra` on top.
  static func childEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "WORKBENCH_LOG")
    environment["NO_COLOR"] = "1"
    for (key, value) in extra { environment[key] = value }
    return environment
  }

  /// Starts `workbench arguments…` in `directory` with its output captured to files; `wrapper`
  /// (a command and its arguments, such as GNU time's) runs it instead where given.
  public static func start(
    _ arguments: [String], in directory: URL, environment: [String: String] = [:], wrapper: [String] = []
  ) throws -> RunningWorkbench {
    let process = Process()
    let command = wrapper + [binary.path] + arguments
    process.executableURL = URL(fileURLWithPath: command[0])
    process.arguments = Array(command.dropFirst())
    process.currentDirectoryURL = directory
    process.environment = childEnvironment(environment)
    let id = UUID().uuidString.prefix(8)
    let out = directory.appendingPathComponent(".stdout-\(id)")
    let err = directory.appendingPathComponent(".stderr-\(id)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return RunningWorkbench(process: process, stdoutURL: out, stderrURL: err)
  }

  /// Runs `workbench arguments…` in `directory` to completion.
  public static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws
    -> ProcessResult
  {
    try start(arguments, in: directory, environment: environment).wait()
  }
}

/// A `workbench` process started by a test.
public final class RunningWorkbench: @unchecked Sendable {
  public let process: Process
  let stdoutURL: URL
  let stderrURL: URL

  init(process: Process, stdoutURL: URL, stderrURL: URL) {
    self.process = process
    self.stdoutURL = stdoutURL
    self.stderrURL = stderrURL
  }

  public var pid: Int32 { process.processIdentifier }

  /// What the process has printed on standard output so far.
  public var stdoutSoFar: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }

  /// Sends `signal` to the process.
  public func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

  /// Waits for the process to end and returns what it printed.
  public func wait() -> ProcessResult {
    process.waitUntilExit()
    let out = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
    let err = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(at: stdoutURL)
    try? FileManager.default.removeItem(at: stderrURL)
    return ProcessResult(status: process.terminationStatus, stdout: out, stderr: err)
  }
}

/// Polls `condition` every 20 ms until it holds or `timeout` seconds pass; returns whether it held.
public func eventually(timeout: TimeInterval = 30, _ condition: () throws -> Bool) rethrows -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while Date() < deadline {
    if try condition() { return true }
    usleep(20_000)
  }
  return try condition()
}

/// What a finished process cost: its peak resident memory and its wall time.
public struct ProcessCost: Sendable {
  public var peakResidentBytes: Int
  public var seconds: Double
}

extension WorkbenchProcess {
  /// GNU time (Debian package `time`, which scripts/setup installs).
  public static let time = "/usr/bin/time"

  /// Runs `workbench arguments…` in `directory` to completion under GNU time, which reports the
  /// peak resident set of that process alone (a process started from this one directly would
  /// inherit this test process's high-water mark on Linux, since posix_spawn shares its memory
  /// until exec).
  public static func measure(_ arguments: [String], in directory: URL) throws -> (ProcessResult, ProcessCost) {
    guard FileManager.default.isExecutableFile(atPath: time) else {
      throw CocoaError(
        .fileNoSuchFile, userInfo: [NSFilePathErrorKey: "\(time) (apt-get install time, or scripts/setup)"])
    }
    let report = directory.appendingPathComponent(".time-\(UUID().uuidString.prefix(8))")
    defer { try? FileManager.default.removeItem(at: report) }
    let result = try start(arguments, in: directory, wrapper: [time, "-f", "%M %e", "-o", report.path]).wait()
    // GNU time writes "Command exited with non-zero status N" before the format line.
    let line = (try String(contentsOf: report, encoding: .utf8)).split(separator: "\n").last ?? ""
    let fields = line.split(separator: " ")
    guard fields.count == 2, let kilobytes = Int(fields[0]), let seconds = Double(fields[1]) else {
      throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: report.path])
    }
    return (result, ProcessCost(peakResidentBytes: kilobytes * 1024, seconds: seconds))
  }
}
