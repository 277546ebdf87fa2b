/// The two metrics of Super-NaturalInstructions' evaluation, exactly as its scripts compute them:
/// ROUGE-L F-measure with `rouge_score`'s tokenizer and NLTK's Porter stemmer, and exact match
/// after SNI's answer normalisation. An instance scores the maximum over its references.
public enum InstructionMetrics {
  private static let stemmer = PorterStemmer()

  /// `rouge_score`'s tokens: lowercase, every run of characters other than a–z and 0–9 a
  /// separator, tokens longer than three characters stemmed.
  public static func rougeTokens(_ text: String, stem: Bool = true) -> [String] {
    var tokens: [String] = []
    var current: [UInt8] = []
    func flush() {
      guard !current.isEmpty else { return }
      let token = String(decoding: current, as: UTF8.self)
      tokens.append(stem && current.count > 3 ? stemmer.stem(token) : token)
      current.removeAll(keepingCapacity: true)
    }
    for byte in text.lowercased().utf8 {
      if (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) {
        current.append(byte)
      } else {
        flush()
      }
    }
    flush()
    return tokens.filter { !$0.isEmpty }
  }

  /// The length of the longest common subsequence of two token lists.
  public static func longestCommonSubsequence<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    guard !a.isEmpty, !b.isEmpty else { return 0 }
    var previous = [Int](repeating: 0, count: b.count + 1)
    var row = previous
    for x in a {
      for (j, y) in b.enumerated() {
        row[j + 1] = x == y ? previous[j] + 1 : max(previous[j + 1], row[j])
      }
      swap(&previous, &row)
    }
    return previous[b.count]
  }

  /// ROUGE-L precision, recall and F-measure of `prediction` against one reference (0 when
  /// either has no tokens).
  public static func rougeL(prediction: String, reference: String, stem: Bool = true)
    -> (precision: Double, recall: Double, f: Double)
  {
    let p = rougeTokens(prediction, stem: stem)
    let r = rougeTokens(reference, stem: stem)
    guard !p.isEmpty, !r.isEmpty else { return (0, 0, 0) }
    let lcs = Double(longestCommonSubsequence(r, p))
    let precision = lcs / Double(p.count)
    let recall = lcs / Double(r.count)
    let f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    return (precision, recall, f)
  }

  /// An instance's ROUGE-L: the best F-measure over its references (0 with none).
  public static func rougeL(prediction: String, references: [String]) -> Double {
    references.map { rougeL(prediction: prediction, reference: $0).f }.max() ?? 0
  }

  /// SNI's answer normalisation: lowercase, ASCII punctuation removed, whitespace collapsed
  /// (articles are kept). It works on code points, as the official script's Python does: a
  /// punctuation mark followed by a combining accent is still removed, and the separators
  /// U+001C–U+001F split words as Python's `str.split()` does.
  public static func normalizeAnswer(_ text: String) -> String {
    var normalized = String.UnicodeScalarView()
    var pendingSpace = false
    for scalar in text.lowercased().unicodeScalars {
      if scalar.isASCII && asciiPunctuation.contains(UInt8(scalar.value)) { continue }
      if isPythonSpace(scalar) {
        pendingSpace = !normalized.isEmpty
        continue
      }
      if pendingSpace {
        normalized.append(" ")
        pendingSpace = false
      }
      normalized.append(scalar)
    }
    return String(normalized)
  }

  /// Python's `str.split()`: the words between runs of white space.
  public static func pythonSplit(_ text: String) -> [String] {
    var words: [String] = []
    var word = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if isPythonSpace(scalar) {
        if !word.isEmpty { words.append(String(word)) }
        word = String.UnicodeScalarView()
      } else {
        word.append(scalar)
      }
    }
    if !word.isEmpty { words.append(String(word)) }
    return words
  }

  /// Python's `string.punctuation`.
  static let asciiPunctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".utf8)

  /// What Python's `str.isspace()` holds true for (the separators `str.split()` splits on).
  static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
      return true
    default:
      return false
    }
  }

  /// 1 when `prediction` equals one of the references after normalisation, else 0.
  /// The comparison is of code points (Python's `==`), not Swift's canonical equivalence: a
  /// precomposed "é" and "e" + combining acute differ, as they do for the official script.
  public static func exactMatch(prediction: String, references: [String]) -> Double {
    let normalized = normalizeAnswer(prediction)
    return references.contains { normalizeAnswer($0).unicodeScalars.elementsEqual(normalized.unicodeScalars) } ? 1 : 0
  }
}
