import Foundation
import WorkbenchRunLog

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Who this process is, and whether the process that owns a run is still alive.
public enum ProcessIdentity {
  /// This machine's host name.
  public static let host: String = {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }()

  /// This process as a run owner.
  public static let current = RunOwner(host: host, pid: getpid(), startToken: startToken(of: getpid()) ?? "0")

  /// Whether `owner` is alive: true or false for a process on this host, nil for another host
  /// (then only its heartbeat can tell).
  public static func isAlive(_ owner: RunOwner) -> Bool? {
    guard owner.host == host else { return nil }
    if let token = startToken(of: owner.pid) { return owner.startToken == "0" || token == owner.startToken }
    if FileManager.default.fileExists(atPath: "/proc/self/stat") { return false }
    return kill(owner.pid, 0) == 0 || errno == EPERM
  }

  /// The start time of `pid` in clock ticks since boot (Linux), which tells apart two processes
  /// that had the same pid.
  static func startToken(of pid: Int32) -> String? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
      let close = stat.lastIndex(of: ")")
    else { return nil }
    // Fields after "(comm)": state is field 3; starttime is field 22.
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 19 else { return nil }
    return String(fields[19])
  }
}
