import Dispatch
import Foundation
import Synchronization
import WorkbenchErrors

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Thrown by `RunContext.checkCancellation()` once SIGINT or SIGTERM (or, in a Slurm worker,
/// SIGUSR1) arrived.
public struct RunCancelled: WorkbenchError {
  /// `interrupted`: SIGINT; `terminated`: SIGTERM; `timeLimit`: SIGUSR1, a scheduler's warning.
  public enum Code: String, ErrorCodes { case interrupted, terminated, timeLimit }
  public var signal: Int32
  public var code: Code {
    switch signal {
    case SIGTERM: .terminated
    case SIGUSR1: .timeLimit
    default: .interrupted
    }
  }
  public var description: String {
    switch code {
    case .terminated: "interrupted by SIGTERM"
    case .timeLimit: "stopped by SIGUSR1 (the scheduler's warning before the time limit)"
    case .interrupted: "interrupted by SIGINT"
    }
  }
  /// The exit status a shell expects after this signal: 130 for SIGINT, 143 for SIGTERM.
  public var exitCode: Int32 { 128 + signal }
}

/// Turns SIGINT and SIGTERM into a flag the running plugin polls, so the current run can be marked
/// interrupted and the log left consistent. A second signal, or a plugin that does not stop within
/// the grace period, ends the process after `emergencyStop` ran.
public final class SignalTrap: Sendable {
  public static let shared = SignalTrap()

  private let received = Atomic<Int32>(0)
  private let emergency = Mutex<(@Sendable (Int32) -> Void)?>(nil)
  /// Seconds a plugin has to notice the signal before the process is ended for it.
  public let grace: TimeInterval = 15

  /// The signal received, or nil.
  public var signal: Int32? {
    let value = received.load(ordering: .relaxed)
    return value == 0 ? nil : value
  }

  /// Throws `RunCancelled` once a signal arrived.
  public func check() throws {
    if let signal { throw RunCancelled(signal: signal) }
  }

  /// Starts catching `signals` (SIGINT and SIGTERM; a Slurm worker adds SIGUSR1); `emergencyStop`
  /// marks the current run before a forced exit.
  public func install(signals: [Int32] = [SIGINT, SIGTERM], emergencyStop: @escaping @Sendable (Int32) -> Void) {
    emergency.withLock { $0 = emergencyStop }
    let queue = DispatchQueue(label: "workbench.signals")
    for number in signals {
      _ = setSignalIgnored(number)
      let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
      source.setEventHandler { [self] in
        let (exchanged, _) = received.compareExchange(expected: 0, desired: number, ordering: .relaxed)
        if !exchanged {
          forceExit(number)
          return
        }
        queue.asyncAfter(deadline: .now() + grace) { [self] in forceExit(number) }
      }
      source.resume()
      signalSources.append(source)
    }
  }

  private func forceExit(_ number: Int32) {
    let stop = emergency.withLock { $0 }
    stop?(number)
    exit(128 + number)
  }
}

private func setSignalIgnored(_ number: Int32) -> Bool {
  signal(number, SIG_IGN)
  return true
}

/// Kept alive for the life of the process; written only by `install`, from the main thread.
nonisolated(unsafe) private var signalSources: [any DispatchSourceSignal] = []
