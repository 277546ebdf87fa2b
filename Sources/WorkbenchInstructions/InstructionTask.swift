import WorkbenchRandom

/// The schema of an instruction task, as Super-NaturalInstructions writes its tasks: a definition
/// (in several paraphrases), positive examples with explanations, negative examples, and
/// instances with one or more reference outputs. Text is word tokens joined by single spaces.

/// How a task's answers are scored (SNI uses exact match for classification-like categories and
/// ROUGE-L for generation).
public enum InstructionMetric: String, Sendable, Codable {
  case exactMatch = "exact_match"
  case rougeL = "rouge_l"
}

/// One worked example: input, output and why the output is (or is not) right.
public struct InstructionExample: Sendable, Equatable, Codable {
  public var input: String
  public var output: String
  public var explanation: String
}

/// One instance to answer: input and its reference outputs.
public struct InstructionInstance: Sendable, Equatable, Codable {
  public var input: String
  public var outputs: [String]

  public init(input: String, outputs: [String]) {
    self.input = input
    self.outputs = outputs
  }
}

/// A family's parameters for one task: `["x": "a", "y": "b"]` makes `swap x with y` the task `swap(x=a,y=b)`.
public typealias TaskBinding = [String: String]

/// One task: a family with a binding.
public struct InstructionTask: Sendable, Hashable {
  public let family: TaskFamily
  public let binding: TaskBinding

  /// `replace-pair(x1=a,x2=b,y1=c,y2=d)`: unique in the suite, the slots in the family's order.
  public var name: String {
    binding.isEmpty
      ? family.name
      : family.name + "(" + family.space.keys.map { "\($0)=\(binding[$0] ?? "")" }.joined(separator: ",") + ")"
  }

  public var category: TaskCategory { family.category }
  public var metric: InstructionMetric { family.metric }

  /// Definition paraphrase `index` (of `family.definitions.count`) with the binding filled in.
  public func definition(_ index: Int = 0) -> String {
    fill(family.definitions[index % family.definitions.count])
  }

  /// The label words of a classification task (nil for generation tasks).
  public var labels: [String]? { family.labels }

  func fill(_ template: String) -> String {
    var text = template
    for (key, value) in binding { text = text.replacingOccurrences(of: "{\(key)}", with: value) }
    return text
  }

  public static func == (a: InstructionTask, b: InstructionTask) -> Bool { a.name == b.name }
  public func hash(into hasher: inout Hasher) { hasher.combine(name) }

  /// The task's answer to an input (words separated by spaces; `none` for an empty answer).
  public func answer(to input: String) -> String {
    render(family.solve(binding, input.split(separator: " ").map(String.init)))
  }

  /// A new instance: input words and the solved output; classification tasks draw `label`
  /// when given (label-balanced test sets).
  public func instance(_ generator: inout SeededGenerator, label: String? = nil) -> InstructionInstance {
    for _ in 0..<200 {
      let input = family.generate(binding, &generator)
      let output = family.solve(binding, input)
      if let label, output != [label] { continue }
      return InstructionInstance(input: render(input), outputs: [render(output)])
    }
    let input = family.generate(binding, &generator)
    return InstructionInstance(input: render(input), outputs: [render(family.solve(binding, input))])
  }

  /// A positive example: an instance with the family's explanation.
  /// Generation tasks prefer an input the task changes (a `remove b` example that has a b).
  public func positiveExample(_ generator: inout SeededGenerator, label: String? = nil) -> InstructionExample {
    var instance = instance(&generator, label: label)
    for _ in 0..<20 where labels == nil && instance.outputs[0] == instance.input {
      instance = self.instance(&generator, label: label)
    }
    return InstructionExample(input: instance.input, output: instance.outputs[0], explanation: fill(family.explanation))
  }

  /// A negative example: a plausible wrong output (what a sibling operation would give) and why
  /// it is wrong.
  public func negativeExample(_ generator: inout SeededGenerator) -> InstructionExample {
    for _ in 0..<200 {
      let input = family.generate(binding, &generator)
      let right = family.solve(binding, input)
      let wrong = family.wrong(binding, input, &generator)
      if wrong != right {
        return InstructionExample(
          input: render(input), output: render(wrong), explanation: fill(family.wrongExplanation))
      }
    }
    let input = family.generate(binding, &generator)
    return InstructionExample(input: render(input), output: "none", explanation: fill(family.wrongExplanation))
  }
}

/// Words joined by spaces; an empty answer is the word `none`.
func render(_ words: [String]) -> String { words.isEmpty ? "none" : words.joined(separator: " ") }

extension SeededGenerator {
  /// The suite's random choices: the generator started one increment past the seed, so the
  /// same seed gives the same suite everywhere.
  init(suiteSeed seed: UInt64) { self.init(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
  mutating func pick<T>(_ values: [T]) -> T { values[Int.random(in: 0..<values.count, using: &self)] }
}
