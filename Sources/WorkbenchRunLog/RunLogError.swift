import WorkbenchErrors

/// A run log that cannot be opened, read or written, with a message that says what to do.
public struct RunLogError: WorkbenchError {
  /// What went wrong, as a closed set callers can switch over.
  public enum Code: String, ErrorCodes {
    case missing, notSQLite, notAWorkbenchLog, newerSchema, readOnly, busy, notOwner, sql
  }

  public let code: Code
  /// The log file the error is about.
  public let path: String
  public let message: String
  /// The SQLite or system error underneath, when there is one.
  public let cause: String?

  public init(_ code: Code, path: String, _ message: String, cause: String? = nil) {
    self.code = code
    self.path = path
    self.message = message
    self.cause = cause
  }

  public var description: String {
    guard let cause, !message.contains(cause) else { return message }
    return "\(message) (\(cause))"
  }
}
