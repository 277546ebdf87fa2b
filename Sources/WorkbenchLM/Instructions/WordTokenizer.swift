/// Word-level tokens over the suite's closed vocabulary: text splits at spaces, a newline is a
/// token of its own, `<eos>` ends every answer and `<unk>` stands for a word outside the
/// vocabulary. A prompt with a definition and two examples is about 60 tokens (a byte-level
/// model would need 4–5× as many).
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

  /// The vocabulary of `suite`: every word its prompts, answers and explanations can contain.
  public init(suite: TaskSuite) {
    var words: Set<String> = [
      "\n", "Definition:", "Positive", "Negative", "Example", "-", "Input:", "Output:",
      "Explanation:", "Now", "complete", "the", "following", "example", ".", "none",
    ]
    for n in 0...99 { words.insert(String(n)) }
    for letter in Lexicon.letters { words.insert(letter) }
    for noun in Lexicon.nouns { words.formUnion([noun.noun, noun.kind, noun.colour, noun.plural]) }
    for (a, b) in Lexicon.opposites { words.formUnion([a, b]) }
    for verb in Lexicon.verbs { words.formUnion([verb.0, verb.1, verb.2]) }
    words.formUnion(Lexicon.names)
    words.formUnion(Lexicon.factWords)
    words.formUnion(PromptFormat.vocabulary)
    func add(_ text: String) {
      words.formUnion(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }
    for task in suite.tasks {
      for i in task.family.definitions.indices { add(task.definition(i)) }
      add(task.fill(task.family.explanation))
      add(task.fill(task.family.wrongExplanation))
      let (positive, negative) = suite.examples(task)
      for example in positive + negative { add(example.input + " " + example.output) }
      var g = suite.generator(task, "vocabulary")
      for _ in 0..<40 {
        let instance = task.instance(&g)
        add(instance.input + " " + instance.outputs.joined(separator: " "))
      }
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
