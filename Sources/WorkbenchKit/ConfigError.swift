import WorkbenchErrors

/// A problem with an experiment file or an override, pointing at the file position that caused it.
public struct ConfigError: WorkbenchError {
  /// What kind of problem, as a closed set.
  public enum Code: String, ErrorCodes {
    case missingFile, syntax, unknownKey, wrongType, missingKey, invalidValue, unknownPlugin, badOverride
  }

  public let code: Code
  public let location: SourceLocation?
  public let message: String

  public init(_ code: Code, at location: SourceLocation?, _ message: String) {
    self.code = code
    self.location = location
    self.message = message
  }

  public var description: String {
    guard let location else { return message }
    return "\(location): \(message)"
  }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
public func nearest(to word: String, in candidates: some Sequence<String>) -> String? {
  let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
  guard let best = scored.min(by: { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }) else { return nil }
  return best.1 <= max(2, word.count / 2) && best.1 < word.count ? best.0 : nil
}

/// Levenshtein distance between two strings, in characters.
func editDistance(_ a: String, _ b: String) -> Int {
  let a = Array(a)
  let b = Array(b)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}
