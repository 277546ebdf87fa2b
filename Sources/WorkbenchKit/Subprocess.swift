import Foundation

/// Runs another program (git, the Slurm client commands) to completion and captures its output.
enum Subprocess {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String

    /// The first line of what the program printed on stderr (or stdout), for an error message.
    var errorLine: String {
      let text = stderr.isEmpty ? stdout : stderr
      return text.split(separator: "\n").first.map(String.init) ?? "exit status \(status)"
    }
  }

  /// The path of `name` on the PATH, or nil.
  static func find(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    return path.split(separator: ":").map { "\($0)/\(name)" }.first {
      FileManager.default.isExecutableFile(atPath: $0)
    }
  }

  /// Runs `path` with `arguments`; both pipes are read while it runs, so neither can fill and block it.
  static func run(_ path: String, _ arguments: [String]) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }
}
