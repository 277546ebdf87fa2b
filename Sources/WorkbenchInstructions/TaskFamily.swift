import WorkbenchRandom

/// The categories of the suite, after Super-NaturalInstructions' evaluation categories.
public enum TaskCategory: String, CaseIterable, Sendable, Codable {
  case rewriting
  case filtering = "value-filtering"
  case classification = "binary-classification"
  case counting
  case ordering

  /// SNI scores classification-like categories by exact match, generation by ROUGE-L.
  public var metric: InstructionMetric {
    switch self {
    case .classification, .counting: return .exactMatch
    default: return .rougeL
    }
  }
}

/// Every binding of a family: tuples of letters over named slots (`x1 x2 → y1 y2`), enumerated in
/// a fixed order, or a short list of values. A binding has an index (its place in the order), and
/// two bindings have a distance — the number of slots in which they differ (for unordered slots,
/// a letter set: how many letters of one the other lacks) — which is how the nearest seen
/// instruction of an unseen one is found.
public struct BindingSpace: Sendable {
  public let keys: [String]
  /// Whether the slots are a set (`{x, y, z, w}` written in alphabetical order).
  public let unordered: Bool
  private let values: [String]
  private let tuples: [[UInt8]]
  private let lookup: [[UInt8]: Int]

  /// No parameters: a family with a single task.
  public static let none = BindingSpace(keys: [], values: [], tuples: [[]], unordered: false)

  /// One slot taking each of `values`.
  public static func values(_ key: String, _ values: [String]) -> BindingSpace {
    BindingSpace(keys: [key], values: values, tuples: values.indices.map { [UInt8($0)] }, unordered: false)
  }

  /// Every tuple of `values` over `keys` that `keep` accepts (indices into `values`).
  public static func tuples(_ keys: [String], of values: [String], where keep: ([Int]) -> Bool) -> BindingSpace {
    var tuples: [[UInt8]] = []
    var tuple = [Int](repeating: 0, count: keys.count)
    func fill(_ slot: Int) {
      guard slot < keys.count else {
        if keep(tuple) { tuples.append(tuple.map(UInt8.init)) }
        return
      }
      for v in values.indices {
        tuple[slot] = v
        fill(slot + 1)
      }
    }
    fill(0)
    return BindingSpace(keys: keys, values: values, tuples: tuples, unordered: false)
  }

  /// Every set of `keys.count` distinct `values`, its letters in order in the slots.
  public static func sets(_ keys: [String], of values: [String]) -> BindingSpace {
    let ordered = tuples(keys, of: values) { t in zip(t, t.dropFirst()).allSatisfy { $0 < $1 } }
    return BindingSpace(keys: keys, values: values, tuples: ordered.tuples, unordered: true)
  }

  private init(keys: [String], values: [String], tuples: [[UInt8]], unordered: Bool) {
    self.keys = keys
    self.values = values
    self.tuples = tuples
    self.unordered = unordered
    lookup = Dictionary(uniqueKeysWithValues: tuples.enumerated().map { ($0.element, $0.offset) })
  }

  /// How many distinct bindings, so how many distinct instructions, the family has.
  public var count: Int { tuples.count }

  public func binding(_ index: Int) -> TaskBinding {
    Dictionary(uniqueKeysWithValues: zip(keys, tuples[index].map { values[Int($0)] }))
  }

  /// The index of `binding`, or nil when it is not one of the space's.
  public func index(of binding: TaskBinding) -> Int? {
    guard Set(binding.keys) == Set(keys) else { return nil }
    var tuple: [UInt8] = []
    for key in keys {
      guard let v = values.firstIndex(of: binding[key]!) else { return nil }
      tuple.append(UInt8(v))
    }
    return lookup[tuple]
  }

  /// In how many slots the bindings at `a` and `b` differ (sets: letters of one missing in the other).
  public func distance(_ a: Int, _ b: Int) -> Int {
    let (s, t) = (tuples[a], tuples[b])
    if unordered { return Set(s).subtracting(t).count }
    return zip(s, t).filter { $0 != $1 }.count
  }
}

/// A family of tasks: one operation (with definitions in several wordings, an input generator, a
/// solver, a generator of plausible wrong answers and explanations) whose parameters — the
/// bindings — make distinct tasks, as SNI's `replace letter` tasks differ in the letter. The
/// definitions state the bound arguments in words, so that a model can follow a binding it was
/// never tuned on by reading it.
public final class TaskFamily: Sendable, Hashable {
  public let name: String
  public let category: TaskCategory
  /// Templates with `{parameter}` placeholders; at least three wordings.
  public let definitions: [String]
  public let explanation: String
  public let wrongExplanation: String
  public let space: BindingSpace
  /// The label words, for classification families.
  public let labels: [String]?
  let generate: @Sendable (TaskBinding, inout SeededGenerator) -> [String]
  let solve: @Sendable (TaskBinding, [String]) -> [String]
  let wrong: @Sendable (TaskBinding, [String], inout SeededGenerator) -> [String]

  public var metric: InstructionMetric { category.metric }

  init(
    _ name: String, _ category: TaskCategory, space: BindingSpace = .none, labels: [String]? = nil,
    definitions: [String], explanation: String, wrongExplanation: String,
    generate: @escaping @Sendable (TaskBinding, inout SeededGenerator) -> [String],
    solve: @escaping @Sendable (TaskBinding, [String]) -> [String],
    wrong: @escaping @Sendable (TaskBinding, [String], inout SeededGenerator) -> [String]
  ) {
    precondition(definitions.count >= 3, "\(name): give at least three definitions")
    self.name = name
    self.category = category
    self.space = space
    self.labels = labels
    self.definitions = definitions
    self.explanation = explanation
    self.wrongExplanation = wrongExplanation
    self.generate = generate
    self.solve = solve
    self.wrong = wrong
  }

  /// The task of binding `index`.
  public func task(_ index: Int) -> InstructionTask { InstructionTask(family: self, binding: space.binding(index)) }

  /// The binding index of one of this family's tasks.
  public func index(of task: InstructionTask) -> Int { space.index(of: task.binding)! }

  public static func == (a: TaskFamily, b: TaskFamily) -> Bool { a.name == b.name }
  public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
