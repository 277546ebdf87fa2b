import WorkbenchKit

/// The prompt layouts of Tk-Instruct (Wang et al. 2022), with its exact punctuation and spacing:
///
///     Definition: <definition> .
///
///      Positive Example 1 -
///     Input: <input> .
///      Output: <output> .
///
///     Now complete the following example -
///     Input: <input> .
///     Output:
///
/// A full stop is added after text that does not end in punctuation (not after the target).
public enum InstructionEncoding: String, Sendable, CaseIterable, Codable {
  /// Definition only (zero-shot).
  case definition = "def"
  /// Two positive examples, no definition.
  case positives = "pos"
  /// Definition and two positive examples: SNI's headline setting.
  case definitionPositives = "def+pos"
  /// … and two negative examples.
  case definitionPositivesNegatives = "def+pos+neg"
  /// … and the explanations of the positive examples.
  case definitionPositivesExplanations = "def+pos+expl"

  var hasDefinition: Bool { self != .positives }
  var positiveCount: Int { self == .definition ? 0 : 2 }
  var negativeCount: Int { self == .definitionPositivesNegatives ? 2 : 0 }
  var explanations: Bool { self == .definitionPositivesExplanations }

  /// The prompt for `input` of `task`, with the suite's fixed demonstrations and definition
  /// wording `paraphrase`.
  public func prompt(
    _ task: InstructionTask, input: String, suite: TaskSuite, paraphrase: Int = 0
  ) -> String {
    // Demonstrations are generated only for the layouts that show them (not for every `def` prompt).
    let (positives, negatives) = positiveCount + negativeCount > 0 ? suite.examples(task) : ([], [])
    return prompt(definition: task.definition(paraphrase), positives: positives, negatives: negatives, input: input)
  }

  /// The prompt for any instruction and demonstrations (those this encoding does not show are
  /// left out).
  public func prompt(
    definition: String, positives: [InstructionExample] = [], negatives: [InstructionExample] = [], input: String
  ) -> String {
    var text = ""
    if hasDefinition { text += "Definition: " + punctuated(definition) + "\n\n" }
    for (kind, examples, count) in [("Positive", positives, positiveCount), ("Negative", negatives, negativeCount)] {
      for (i, example) in examples.prefix(count).enumerated() {
        text +=
          " \(kind) Example \(i + 1) -\nInput: " + punctuated(example.input) + "\n Output: "
          + punctuated(example.output) + "\n"
        if explanations { text += " Explanation: " + punctuated(example.explanation) + "\n" }
        text += "\n"
      }
    }
    text += "Now complete the following example -\nInput: " + punctuated(input) + "\nOutput: "
    return text
  }
}

/// Tk-Instruct's rule: a full stop after text that does not already end in punctuation.
func punctuated(_ text: String) -> String {
  guard let last = text.last else { return "." }
  return ".?!,;:".contains(last) ? text : text + " ."
}

extension InstructionEncoding: ConfigTyped {
  public static var configType: String { allCases.map(\.rawValue).joined(separator: " | ") }
}
