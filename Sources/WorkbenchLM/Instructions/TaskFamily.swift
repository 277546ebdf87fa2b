import WorkbenchTensor

/// The twelve categories of the suite, after Super-NaturalInstructions' evaluation categories.
public enum TaskCategory: String, CaseIterable, Sendable, Codable {
  case positional = "positional-selection"
  case filtering = "value-filtering"
  case rewriting
  case ordering
  case counting
  case arithmetic = "digit-arithmetic"
  case classification = "binary-classification"
  case twoLists = "two-list-relations"
  case lexicon = "lexicon-lookup"
  case dataToText = "data-to-text"
  case errorCorrection = "error-correction"
  case sentences = "sentence-rewriting"

  /// SNI scores classification-like categories by exact match, generation by ROUGE-L.
  public var metric: InstructionMetric {
    switch self {
    case .counting, .arithmetic, .classification, .lexicon: return .exactMatch
    default: return .rougeL
    }
  }
}

/// A family of tasks: one operation (with definitions in several wordings, an input generator, a
/// solver, a generator of plausible wrong answers and explanations) whose parameters — the
/// bindings — make distinct tasks, as SNI's `replace letter` tasks differ in the letter.
public final class TaskFamily: Sendable, Hashable {
  public let name: String
  public let category: TaskCategory
  /// Templates with `{parameter}` placeholders; at least three wordings.
  public let definitions: [String]
  public let explanation: String
  public let wrongExplanation: String
  public let bindings: [TaskBinding]
  /// The label words, for classification families.
  public let labels: [String]?
  let generate: @Sendable (TaskBinding, inout SeededGenerator) -> [String]
  let solve: @Sendable (TaskBinding, [String]) -> [String]
  let wrong: @Sendable (TaskBinding, [String], inout SeededGenerator) -> [String]

  public var metric: InstructionMetric { category.metric }

  init(
    _ name: String, _ category: TaskCategory, bindings: [TaskBinding] = [[:]], labels: [String]? = nil,
    definitions: [String], explanation: String, wrongExplanation: String,
    generate: @escaping @Sendable (TaskBinding, inout SeededGenerator) -> [String],
    solve: @escaping @Sendable (TaskBinding, [String]) -> [String],
    wrong: @escaping @Sendable (TaskBinding, [String], inout SeededGenerator) -> [String]
  ) {
    precondition(definitions.count >= 3, "\(name): give at least three definitions")
    self.name = name
    self.category = category
    self.bindings = bindings
    self.labels = labels
    self.definitions = definitions
    self.explanation = explanation
    self.wrongExplanation = wrongExplanation
    self.generate = generate
    self.solve = solve
    self.wrong = wrong
  }

  /// Every task of the family, one per binding.
  public var tasks: [InstructionTask] { bindings.map { InstructionTask(family: self, binding: $0) } }

  public static func == (a: TaskFamily, b: TaskFamily) -> Bool { a.name == b.name }
  public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
