/// Tokens are bytes: vocabulary 256, no merges, every text round-trips.
public struct ByteTokenizer: Sendable {
  public static let vocabulary = 256

  public init() {}

  /// The UTF-8 bytes of `text` as token ids.
  public func encode(_ text: String) -> [Int32] { text.utf8.map { Int32($0) } }

  /// The text of `tokens` (invalid UTF-8 becomes U+FFFD).
  public func decode(_ tokens: [Int32]) -> String {
    String(decoding: tokens.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
  }
}
