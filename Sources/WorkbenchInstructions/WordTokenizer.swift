/// Word-level tokens over the suite's closed vocabulary: text splits at spaces, a newline is a
/// token of its own, `<eos>` ends every answer and `<unk>` stands for a word outside the
/// vocabulary. A prompt with a definition alone is about 35 tokens, with two examples about 90
/// (a byte-level model would need 3–4× as many).
public struct WordTokenizer: Sendable {
  public static let endOfText = "<eos>"
  public static let unknown = "<unk>"

  public let words: [String]
  private let ids: [String: Int32]

  public var vocabulary: Int { words.count }
  public var endOfTextID: Int32 { 0 }

  public init(words: [String]) {
    let rest = Set(words).subtracting([Self.endOfText, Self.unknown]).sorted()
    self.words = [Self.endOfText, Self.unknown] + rest
    ids = Dictionary(uniqueKeysWithValues: self.words.enumerated().map { ($0.element, Int32($0.offset)) })
  }

  /// The vocabulary of `suite`: every word its prompts, answers and explanations can contain —
  /// the scaffolding of the prompt layouts, the letters, digits and numbers, and the words of the
  /// families' definitions and explanations (their bound arguments are letters).
  public init(suite: TaskSuite) {
    var words: Set<String> = [
      "\n", "Definition:", "Positive", "Negative", "Example", "-", "Input:", "Output:",
      "Explanation:", "Now", "complete", "the", "following", "example", ".", "none",
    ]
    for n in 0...99 { words.insert(String(n)) }
    words.formUnion(Lexicon.letters)
    words.formUnion(Lexicon.textWords)
    words.formUnion(PromptFormat.vocabulary)
    for family in suite.families {
      for text in family.definitions + [family.explanation, family.wrongExplanation] {
        words.formUnion(text.split(separator: " ").map(String.init).filter { !$0.contains("{") })
      }
      words.formUnion(family.labels ?? [])
    }
    self.init(words: Array(words))
  }

  public func encode(_ text: String) -> [Int32] {
    var tokens: [Int32] = []
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if line.offset > 0 { tokens.append(ids["\n"] ?? 1) }
      for word in line.element.split(separator: " ") { tokens.append(ids[String(word)] ?? 1) }
    }
    return tokens
  }

  /// Words joined by spaces (newlines as newlines), stopping at `<eos>`.
  public func decode(_ tokens: [Int32]) -> String {
    var text = ""
    for token in tokens {
      guard token != endOfTextID else { break }
      let word = Int(token) < words.count && token >= 0 ? words[Int(token)] : Self.unknown
      if word == "\n" {
        text += "\n"
      } else {
        if !text.isEmpty && !text.hasSuffix("\n") { text += " " }
        text += word
      }
    }
    return text
  }
}
