import WorkbenchTensor

/// workbench's instruction-task suite: every task of the catalogue, generated from a seed (nothing
/// is downloaded), with the split that decides what a model is tuned on and what measures
/// generalisation, at four levels of novelty:
///
/// - `seen`: tasks a model may be tuned on; their held-out instances give the instance-level
///   upper bound;
/// - `unseen-binding`: a quarter of the bindings of every seen family with at least eight
///   (`remove(x=g)` while other `remove` tasks are seen);
/// - `unseen-family`: one family of every seen category with at least three families;
/// - `unseen-category`: four whole categories (two scored by exact match, two by ROUGE-L, like
///   SNI's mix): binary classification, two-list relations, data to text, sentence rewriting.
public struct TaskSuite: Sendable {
  public enum Tier: String, Sendable, CaseIterable, Codable {
    case seen
    case unseenBinding = "unseen-binding"
    case unseenFamily = "unseen-family"
    case unseenCategory = "unseen-category"
  }

  public static let heldOutCategories: [TaskCategory] = [.classification, .twoLists, .dataToText, .sentences]

  public let seed: UInt64
  /// Every task, in catalogue order.
  public let tasks: [InstructionTask]
  private let tiers: [String: Tier]
  /// Each task's fixed demonstrations.
  private let demonstrations: [String: (positive: [InstructionExample], negative: [InstructionExample])]

  public init(seed: UInt64 = 0) {
    self.seed = seed
    var generator = SeededGenerator(suiteSeed: seed ^ 0x5EED_5917)
    var tiers: [String: Tier] = [:]
    var heldOutFamilies: Set<String> = []
    for category in TaskCategory.allCases where !Self.heldOutCategories.contains(category) {
      let families = taskCatalogue.filter { $0.category == category }
      if families.count >= 3 { heldOutFamilies.insert(generator.pick(families).name) }
    }
    for family in taskCatalogue {
      let tasks = family.tasks
      if Self.heldOutCategories.contains(family.category) {
        for task in tasks { tiers[task.name] = .unseenCategory }
      } else if heldOutFamilies.contains(family.name) {
        for task in tasks { tiers[task.name] = .unseenFamily }
      } else {
        var held: Set<Int> = []
        if tasks.count >= 8 {
          let indices = Array(tasks.indices).shuffled(using: &generator)
          held = Set(indices.prefix(tasks.count / 4))
        }
        for (i, task) in tasks.enumerated() { tiers[task.name] = held.contains(i) ? .unseenBinding : .seen }
      }
    }
    self.tiers = tiers
    tasks = taskCatalogue.flatMap(\.tasks)
    var demonstrations: [String: (positive: [InstructionExample], negative: [InstructionExample])] = [:]
    for task in tasks { demonstrations[task.name] = Self.makeExamples(task, seed: seed) }
    self.demonstrations = demonstrations
  }

  public func tier(of task: InstructionTask) -> Tier { tiers[task.name]! }

  public func tasks(in tier: Tier) -> [InstructionTask] { tasks.filter { tiers[$0.name] == tier } }

  public func task(named name: String) -> InstructionTask? { tasks.first { $0.name == name } }

  /// `count` of the seen tasks, a nested prefix of one seeded order that goes round the seen
  /// families (so a few tasks still span many families): K = 4, 8, 16, … are subsets of each other.
  public func seenSubset(_ count: Int, seed subsetSeed: UInt64) -> [InstructionTask] {
    var generator = SeededGenerator(suiteSeed: seed &+ 0xC0FFEE &+ subsetSeed &* 7919)
    var byFamily: [[InstructionTask]] = []
    for family in taskCatalogue {
      let seen = family.tasks.filter { tiers[$0.name] == .seen }
      if !seen.isEmpty { byFamily.append(seen.shuffled(using: &generator)) }
    }
    byFamily.shuffle(using: &generator)
    var order: [InstructionTask] = []
    var round = 0
    while order.count < byFamily.reduce(0, { $0 + $1.count }) {
      for family in byFamily where round < family.count { order.append(family[round]) }
      round += 1
    }
    return Array(order.prefix(count))
  }

  /// A generator private to one task and purpose, the same in every process.
  func generator(_ task: InstructionTask, _ purpose: String) -> SeededGenerator {
    Self.generator(task, purpose, seed: seed)
  }

  static func generator(_ task: InstructionTask, _ purpose: String, seed: UInt64) -> SeededGenerator {
    SeededGenerator(suiteSeed: seed ^ SeededGenerator.hash(task.name + "/" + purpose))
  }

  /// The task's fixed demonstrations: two positive and two negative examples (SNI fixes them per
  /// task). Classification tasks show two different labels.
  public func examples(_ task: InstructionTask) -> (positive: [InstructionExample], negative: [InstructionExample]) {
    demonstrations[task.name]!  // every task of the catalogue has them
  }

  private static func makeExamples(_ task: InstructionTask, seed: UInt64)
    -> (positive: [InstructionExample], negative: [InstructionExample])
  {
    var g = generator(task, "examples", seed: seed)
    let labels = task.labels.map { $0.shuffled(using: &g) }
    let positive = (0..<2).map { i in task.positiveExample(&g, label: labels.map { $0[i % $0.count] }) }
    let negative = (0..<2).map { _ in task.negativeExample(&g) }
    return (positive, negative)
  }

  /// The task's test instances: `count` of them, label-balanced for classification tasks, never
  /// a demonstration's input.
  public func testInstances(_ task: InstructionTask, count: Int) -> [InstructionInstance] {
    var g = generator(task, "test")
    let demos = Set(examples(task).positive.map(\.input))
    var instances: [InstructionInstance] = []
    var attempts = 0
    while instances.count < count && attempts < 50 * count {
      attempts += 1
      let label = task.labels.map { $0[instances.count % $0.count] }
      let instance = task.instance(&g, label: label)
      if demos.contains(instance.input) { continue }
      instances.append(instance)
    }
    return instances
  }

  /// Worked examples for few-shot prompts (the prompt-sensitivity axes): `count` of them,
  /// label-balanced for classification tasks, none of them a test input of the task.
  public func demonstrationPool(_ task: InstructionTask, count: Int, avoiding test: Set<String>)
    -> [InstructionExample]
  {
    var g = generator(task, "demonstration-pool")
    var pool: [InstructionExample] = []
    var attempts = 0
    while pool.count < count && attempts < 50 * count {
      attempts += 1
      let example = task.positiveExample(&g, label: task.labels.map { $0[pool.count % $0.count] })
      if !test.contains(example.input) { pool.append(example) }
    }
    return pool
  }

  /// `k` demonstrations drawn from `pool` by `seed`, in a seeded order.
  public func demonstrations(_ task: InstructionTask, k: Int, seed: Int, pool: [InstructionExample])
    -> [InstructionExample]
  {
    var g = generator(task, "demonstrations-\(seed)")
    return Array(pool.shuffled(using: &g).prefix(k))
  }

  /// Training instances of a task: fresh draws from `seed`, avoiding the test inputs where the
  /// task has inputs enough to spare.
  public func trainingInstance(_ task: InstructionTask, avoiding test: Set<String>, _ g: inout SeededGenerator)
    -> InstructionInstance
  {
    var instance = task.instance(&g)
    for _ in 0..<20 where test.contains(instance.input) { instance = task.instance(&g) }
    return instance
  }
}
