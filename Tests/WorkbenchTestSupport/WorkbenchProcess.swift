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

  /// Starts `workbench arguments…` in `directory` with its output captured to files.
  public static func start(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws
    -> RunningWorkbench
  {
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "WORKBENCH_LOG")
    env["NO_COLOR"] = "1"
    for (key, value) in environment { env[key] = value }
    process.environment = env
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
  /// Runs `workbench arguments…` in `directory` to completion and measures that process alone
  /// (`wait4` gives the child's own peak resident set size, not the test process's).
  public static func measure(_ arguments: [String], in directory: URL) throws -> (ProcessResult, ProcessCost) {
    let id = UUID().uuidString.prefix(8)
    let out = directory.appendingPathComponent(".stdout-\(id)")
    let err = directory.appendingPathComponent(".stderr-\(id)")
    var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, out.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, err.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    // Run in `directory`: the child changes into it through a shell-free `cd` of its own.
    let argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path, binary.path] + arguments
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "WORKBENCH_LOG")
    environment["NO_COLOR"] = "1"
    let envp = environment.map { "\($0.key)=\($0.value)" }
    var pid: pid_t = 0
    let started = Date()
    let spawned = withCStrings(argv) { cArgv in
      withCStrings(envp) { cEnv in posix_spawn(&pid, "/bin/sh", &actions, nil, cArgv, cEnv) }
    }
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
    let seconds = Date().timeIntervalSince(started)
    let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
    try? FileManager.default.removeItem(at: out)
    try? FileManager.default.removeItem(at: err)
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (
      ProcessResult(status: exit, stdout: stdout, stderr: stderr),
      ProcessCost(peakResidentBytes: usage.ru_maxrss * 1024, seconds: seconds)
    )
  }
}

/// Calls `body` with `strings` as a NULL-terminated C array.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
  let pointers = strings.map { strdup($0) } + [nil]
  defer { pointers.forEach { free($0) } }
  return body(pointers)
}
