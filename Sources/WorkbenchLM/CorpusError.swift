import WorkbenchErrors

/// A corpus that cannot be used, naming the file and what to do.
public struct CorpusError: WorkbenchError {
  public enum Code: String, CaseIterable, Sendable { case missing, unreadable, empty, tooSmall, badSpec }
  public let code: Code
  public let description: String

  public init(_ code: Code, _ description: String) {
    self.code = code
    self.description = description
  }
}
