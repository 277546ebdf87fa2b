import Foundation
import Synchronization
import WorkbenchRunLog

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// How `workbench run` shows progress: a live status line on a terminal, plain lines otherwise,
/// nothing but errors and the final summary with `--quiet`. Honours `NO_COLOR`.
public final class ProgressDisplay: Sendable {
  public enum Mode: Sendable { case terminal, plain, quiet }

  public let mode: Mode
  let color: Bool
  private let state = Mutex(State())

  struct State {
    var total = 0
    var done = 0
    var runStarted = Date()
    var sweepStarted = Date()
    var finishedDurations: [Double] = []
    var runLine = ""
    var runFraction = 0.0
    var lastDraw = Date.distantPast
    var lastPlainLine = Date()
    var statusVisible = false
  }

  public init(quiet: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) {
    let terminal = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
    mode = quiet ? .quiet : (terminal ? .terminal : .plain)
    color = terminal && environment["NO_COLOR"].map(\.isEmpty) ?? true
  }

  /// A line for the user (stderr), above the live status line.
  public func note(_ line: String) {
    guard mode != .quiet else { return }
    emit(line)
  }

  /// An error line, shown even with `--quiet`.
  public func error(_ line: String) { emit(paint(line, 31)) }

  func sweepStarted(toRun: Int) {
    state.withLock {
      $0.total = toRun
      $0.done = 0
      $0.sweepStarted = Date()
    }
  }

  func runStarted(_ record: RunRecord, index: Int) {
    let line = "\(record.key.prefix(8)) \(record.label)".trimmingCharacters(in: .whitespaces)
    let total = state.withLock {
      $0.runStarted = Date()
      $0.runLine = line
      $0.runFraction = 0
      $0.lastPlainLine = Date()
      return $0.total
    }
    if mode == .plain { emit("[\(index)/\(total)] \(line): started") }
    draw(force: true)
  }

  func runProgress(step: Int, of steps: Int, loss: Double?, tokensPerSecond: Double?) {
    let fraction = steps > 0 ? Double(step) / Double(steps) : 0
    var detail = "step \(step)/\(steps)"
    if let loss { detail += String(format: " loss %.4f", loss) }
    if let tokensPerSecond { detail += " \(Self.compact(tokensPerSecond)) tok/s" }
    let plain: String? = state.withLock {
      $0.runFraction = fraction
      // Plain output (a log file, CI) gets a progress line at most every 10 seconds.
      guard mode == .plain, Date().timeIntervalSince($0.lastPlainLine) >= 10 else { return nil }
      $0.lastPlainLine = Date()
      return "  \($0.runLine): \(detail)"
    }
    if let plain { emit(plain) }
    if mode == .terminal { draw(force: false, detail: detail) }
  }

  func runFinished(_ record: RunRecord, status: RunStatus, error: String?) {
    let (line, duration) = state.withLock {
      let duration = Date().timeIntervalSince($0.runStarted)
      $0.done += 1
      if status == .finished { $0.finishedDurations.append(duration) }
      $0.runFraction = 0
      return ($0.runLine, duration)
    }
    var text: String
    switch status {
    case .finished:
      text = "\(paint("✓", 32)) \(line) finished in \(Self.duration(duration))"
      if let loss = record.finalValLoss ?? record.finalTrainLoss { text += String(format: ", loss %.4f", loss) }
    case .interrupted, .preempted:
      text = "\(paint("■", 33)) \(line) \(status.rawValue) after \(Self.duration(duration))"
    case .diverged: text = "\(paint("↯", 33)) \(line) \(error ?? "diverged") after \(Self.duration(duration))"
    default: text = "\(paint("✗", 31)) \(line) failed after \(Self.duration(duration)): \(error ?? "unknown error")"
    }
    if mode == .quiet && status == .failed {
      emit(text)
    } else if mode != .quiet {
      emit(text)
    }
  }

  /// Clears the live status line (before the final summary is printed).
  public func finish() {
    guard mode == .terminal else { return }
    state.withLock { s in
      if s.statusVisible { writeStandardError("\r\u{1B}[K") }
      s.statusVisible = false
    }
  }

  private func emit(_ line: String) {
    state.withLock { s in
      if s.statusVisible { writeStandardError("\r\u{1B}[K") }
      writeStandardError(line + "\n")
      s.statusVisible = false
    }
    if mode == .terminal { draw(force: true) }
  }

  private func draw(force: Bool, detail: String = "") {
    guard mode == .terminal else { return }
    state.withLock { s in
      let now = Date()
      guard force || now.timeIntervalSince(s.lastDraw) > 0.1, !s.runLine.isEmpty else { return }
      s.lastDraw = now
      let progress = (Double(s.done) + s.runFraction) / Double(max(s.total, 1))
      let elapsed = now.timeIntervalSince(s.sweepStarted)
      let eta = progress > 0.02 ? Self.duration(elapsed / progress - elapsed) : "…"
      let width = 20
      let filled = Int((s.runFraction * Double(width)).rounded())
      let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      let sweepFilled = Int((progress * 10).rounded())
      let sweepBar = String(repeating: "▰", count: sweepFilled) + String(repeating: "▱", count: 10 - sweepFilled)
      let head = "[\(s.done)/\(s.total) \(sweepBar) \(Int(progress * 100))% ETA \(eta)]"
      var line = "\(head) \(s.runLine) \(bar) \(detail)"
      var size = winsize()
      if ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 10, line.count > Int(size.ws_col) - 1 {
        line = String(line.prefix(Int(size.ws_col) - 1))
      }
      writeStandardError("\r\u{1B}[K" + line)
      s.statusVisible = true
    }
  }

  private func paint(_ text: String, _ code: Int) -> String {
    color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
  }

  /// `3.2 s`, `4m05s`, `1h02m`.
  public static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "…" }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    if seconds < 3600 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
    return String(format: "%dh%02dm", Int(seconds) / 3600, (Int(seconds) % 3600) / 60)
  }

  /// `950`, `12.3k`, `4.5M`.
  public static func compact(_ value: Double) -> String {
    if value >= 1e6 { return String(format: "%.1fM", value / 1e6) }
    if value >= 1e3 { return String(format: "%.1fk", value / 1e3) }
    return String(format: "%.0f", value)
  }
}

/// Writes to standard error without buffering (progress lines interleave with other output).
func writeStandardError(_ text: String) {
  var text = text
  text.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
}
