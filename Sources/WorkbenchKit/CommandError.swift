import Foundation
import WorkbenchErrors

/// A command that cannot do what was asked: one line on stderr, exit status 1 (no usage text,
/// unlike ArgumentParser's `ValidationError`, which is for malformed arguments). For the host's
/// commands and the ones plugins add.
public struct CommandError: WorkbenchError {
  /// A command's refusal has one code: the exit status 1 is what scripts see, and the line says
  /// what to give instead. (Errors of the layers below keep their own codes when they pass through.)
  public enum Code: String, ErrorCodes { case refused }
  public var code: Code { .refused }
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Writes one line to standard error.
public func writeStandardErrorLine(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}
