/// The one shape of workbench's errors: a closed `code` a caller can switch over, and a
/// `description` that is one line for the user — the file it is about, with the position in it
/// where there is one (`path:line:column: …`), what went wrong, and what to do about it.
///
/// Every error type workbench and its plugins throw conforms; a test reads the sources and fails
/// for one that does not.
public protocol WorkbenchError: Error, CustomStringConvertible, Sendable {
  /// What went wrong, from a closed set (its raw value is the code's name in JSON and logs).
  associatedtype Code: ErrorCodes
  var code: Code { get }
}

/// The codes of an error: an enum of `String` raw values (`enum Code: String, ErrorCodes { … }`).
public protocol ErrorCodes: RawRepresentable, CaseIterable, Sendable where RawValue == String {}

/// The common case of a `WorkbenchError`: a code and the line for the user, nothing more. An
/// error type is then its codes and a name, e.g.
/// `public enum SNIErrorCode: String, ErrorCodes { case missing, … }` and
/// `public typealias SNIError = CodedError<SNIErrorCode>`.
public struct CodedError<Code: ErrorCodes>: WorkbenchError {
  public let code: Code
  public let description: String

  public init(_ code: Code, _ description: String) {
    self.code = code
    self.description = description
  }
}
