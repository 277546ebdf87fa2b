import WorkbenchErrors
import WorkbenchRunLog

/// Thrown by a plugin whose run diverged (a loss became NaN or infinite): the run is recorded as
/// `diverged` — a result, never retried — with what it reached before.
public struct RunDiverged: WorkbenchError {
  public enum Code: String, ErrorCodes { case diverged }
  public var code: Code { .diverged }
  public var description: String
  public var summary: RunSummary

  public init(_ description: String, summary: RunSummary = RunSummary()) {
    self.description = description
    self.summary = summary
  }
}
