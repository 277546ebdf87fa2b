import Foundation

/// A command that cannot do what was asked: one line on stderr, exit status 1 (no usage text,
/// unlike ArgumentParser's `ValidationError`, which is for malformed arguments). For the host's
/// commands and the ones plugins add.
public struct CommandError: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// Writes one line to standard error.
public func writeStandardErrorLine(_ line: String) {
  FileHandle.standardError.write(Data((line + "\n").utf8))
}
