import Foundation
import Testing
import WorkbenchInstructions
import WorkbenchLM

/// The test vectors of ../shared/reference/instruction-eval.md §5.2 (computed there with
/// rouge_score 0.1.2, `use_stemmer=True`, and SNI's exact match): prediction, references,
/// ROUGE-L F, exact match.
let instructionMetricVectors: [(String, [String], Double, Double)] = [
  ("testing one", ["testing one two"], 0.8, 0),
  ("The cat sat on the mat.", ["the cat sat on the mat"], 1, 1),
  ("positive", ["Negative"], 0, 0),
  ("", ["anything"], 0, 0),
  ("...", ["anything"], 0, 0),
  ("the friends had a meeting", ["The friend has meetings"], 0.666667, 0),
  ("running dogs", ["the dog runs"], 0.4, 0),
  ("Yes, it is.", ["yes"], 0.5, 0),
  ("b a c", ["a b c"], 0.666667, 0),
  ("a b c d e", ["e d c b a"], 0.2, 0),
  ("3 + 4 = 7", ["7"], 0.5, 0),
  ("12,345", ["12345"], 0, 1),
  ("café au lait", ["cafe au lait"], 0.666667, 0),
  ("an apple", ["apple"], 0.666667, 0),
  ("don't stop", ["do not stop"], 0.333333, 0),
  ("e-mail", ["e mail"], 1, 0),
  ("HELLO World", ["hello world"], 1, 1),
  ("flies dying skies", ["fly die sky"], 0.666667, 0),
  ("a b a b a", ["b a b"], 0.75, 0),
  ("A quick brown fox jumps over the lazy dog", ["the quick brown dog jumps on the log"], 0.470588, 0),
  ("yes", ["Yes", "no"], 1, 1),
  ("the dog", ["a cat", "the big dog", "dog"], 0.8, 0),
  ("z", ["a", "b"], 0, 0),
]

struct InstructionMetricsTests {
  @Test(arguments: instructionMetricVectors.indices)
  func referenceVectors(_ index: Int) {
    let (prediction, references, rouge, exact) = instructionMetricVectors[index]
    let score = InstructionMetrics.rougeL(prediction: prediction, references: references)
    #expect(abs(score - rouge) < 1e-6, "ROUGE-L of '\(prediction)' vs \(references): \(score), expected \(rouge)")
    #expect(InstructionMetrics.exactMatch(prediction: prediction, references: references) == exact, "'\(prediction)'")
  }

  /// Exact match sees code points as the official script's Python does.
  @Test func exactMatchComparesCodePointsLikePython() {
    // Precomposed é and e + combining acute: equal Characters in Swift, different strings in Python.
    #expect(InstructionMetrics.exactMatch(prediction: "caf\u{E9}", references: ["cafe\u{301}"]) == 0)
    #expect(InstructionMetrics.exactMatch(prediction: "caf\u{E9}", references: ["CAF\u{C9}"]) == 1)
    // A full stop followed by a combining mark: Python removes the "." and keeps the mark.
    #expect(Array(InstructionMetrics.normalizeAnswer("a.\u{301}b").unicodeScalars) == Array("a\u{301}b".unicodeScalars))
    // Python's str.split() splits on the information separators U+001C–U+001F and on NBSP.
    #expect(InstructionMetrics.normalizeAnswer("one\u{1F}two\u{A0}three") == "one two three")
    #expect(InstructionMetrics.normalizeAnswer("  The, cat!\t\n sat  ") == "the cat sat")
    #expect(InstructionMetrics.normalizeAnswer("...") == "")
  }

  /// rouge_score's own unit tests (no stemming).
  @Test func rougeScoreUnitTests() {
    let a = InstructionMetrics.rougeL(prediction: "testing one", reference: "testing one two", stem: false)
    #expect(a.precision == 1 && abs(a.recall - 2.0 / 3) < 1e-12 && abs(a.f - 0.8) < 1e-12)
    let b = InstructionMetrics.rougeL(prediction: "testing two", reference: "testing one two", stem: false)
    #expect(abs(b.f - 0.8) < 1e-12)
    let c = InstructionMetrics.rougeL(prediction: "", reference: "testing one two", stem: false)
    #expect(c.precision == 0 && c.recall == 0 && c.f == 0)
    #expect(InstructionMetrics.longestCommonSubsequence([1, 2, 3, 4, 5], [2, 5, 3, 4]) == 3)
    // Without stemming the two stemmed vectors above score lower, as the specification says.
    #expect(
      abs(
        InstructionMetrics.rougeL(
          prediction: "the friends had a meeting", reference: "The friend has meetings", stem: false
        )
        .f - 0.222222) < 1e-6)
    #expect(InstructionMetrics.rougeL(prediction: "running dogs", reference: "the dog runs", stem: false).f == 0)
  }

  @Test func stemExamplesOfTheSpecification() {
    let stemmer = PorterStemmer()
    let examples = [
      "meetings": "meet", "generously": "gener", "happily": "happili", "positive": "posit", "negative": "neg",
      "apple": "appl", "running": "run", "runs": "run", "friends": "friend", "testing": "test", "city": "citi",
      "lazy": "lazi", "reverse": "revers", "dying": "die", "lying": "lie", "skies": "sky", "news": "news",
      "possibly": "possibl", "ties": "tie", "fly": "fli",
    ]
    for (word, stem) in examples { #expect(stemmer.stem(word) == stem, "\(word)") }
    // ROUGE stems only tokens longer than three characters, so "fly" stays "fly" there.
    #expect(InstructionMetrics.rougeTokens("fly flies") == ["fly", "fli"])
  }

  /// NLTK's PorterStemmer on 36,723 English words (every other word of /usr/share/dict/words),
  /// produced once with NLTK 3.9.1 and kept in Tests/WorkbenchLMTests/Data.
  @Test func stemmerReproducesNLTKOnAnEnglishWordList() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data/porter-nltk.tsv")
    let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
    #expect(lines.count == 36_723)
    let stemmer = PorterStemmer()
    var mismatches: [String] = []
    for line in lines {
      let fields = line.split(separator: "\t")
      let word = String(fields[0])
      let expected = fields.count > 1 ? String(fields[1]) : word
      let actual = stemmer.stem(word)
      if actual != expected { mismatches.append("\(word): \(actual), NLTK \(expected)") }
    }
    #expect(mismatches.isEmpty, "\(mismatches.count) words differ, e.g. \(mismatches.prefix(10))")
  }
}
