import WorkbenchRandom

/// workbench's instruction-task suite: every task of the catalogue, generated from a seed (nothing
/// is downloaded), with the split that decides what a model is tuned on and what measures
/// generalisation. A task is a family with a binding; most families have thousands of bindings,
/// so the suite holds over a hundred thousand distinct instructions, split per binding:
///
/// - `seen`: instructions a model may be tuned on (about three quarters of the bindings of every
///   seen family); their held-out instances give the instance-level upper bound;
/// - `validation`: a twentieth of the bindings of every seen family, never tuned on, on which a
///   run chooses its checkpoint — disjoint from the test bindings;
/// - `unseen-binding`: a fifth of the bindings of every seen family, never tuned on: the main
///   target (`replace-pair(x1=c,...)` while thousands of other `replace-pair` rules are seen);
/// - `unseen-family`: one family of every seen category (`heldOutFamilyNames`);
/// - `unseen-category`: a whole category (ordering).
public struct TaskSuite: Sendable {
  public enum Tier: String, Sendable, CaseIterable, Codable {
    case seen
    case validation
    case unseenBinding = "unseen-binding"
    case unseenFamily = "unseen-family"
    case unseenCategory = "unseen-category"
  }

  public static let heldOutCategories: [TaskCategory] = [.ordering]
  public static let heldOutFamilies = heldOutFamilyNames

  public let seed: UInt64
  /// Every family, in catalogue order.
  public let families: [TaskFamily]
  /// Each family's binding indices by tier, in a seeded order.
  private let order: [String: [Tier: [Int]]]

  public init(seed: UInt64 = 0) {
    self.seed = seed
    families = taskCatalogue
    var order: [String: [Tier: [Int]]] = [:]
    for family in taskCatalogue {
      var byTier: [Tier: [Int]] = [:]
      for index in 0..<family.space.count {
        byTier[Self.tier(family, index, seed: seed), default: []].append(index)
      }
      var g = SeededGenerator(suiteSeed: seed ^ SeededGenerator.hash("order/" + family.name))
      for tier in Tier.allCases where byTier[tier] != nil { byTier[tier]!.shuffle(using: &g) }
      order[family.name] = byTier
    }
    self.order = order
  }

  private static func tier(_ family: TaskFamily, _ index: Int, seed: UInt64) -> Tier {
    if heldOutCategories.contains(family.category) { return .unseenCategory }
    if heldOutFamilyNames.contains(family.name) { return .unseenFamily }
    var g = SeededGenerator(
      suiteSeed: seed ^ SeededGenerator.hash("tier/" + family.name) ^ UInt64(index) &* 0x2545_F491)
    let u = g.nextUnit()
    return u < 0.2 ? .unseenBinding : u < 0.25 ? .validation : .seen
  }

  public func tier(of task: InstructionTask) -> Tier { Self.tier(task.family, task.family.index(of: task), seed: seed) }

  public func family(named name: String) -> TaskFamily? { families.first { $0.name == name } }

  /// The families with instructions in `tier`.
  public func families(in tier: Tier) -> [TaskFamily] { families.filter { !(order[$0.name]![tier] ?? []).isEmpty } }

  /// How many instructions of `family` (every family when nil) are in `tier`.
  public func count(_ tier: Tier, family: TaskFamily? = nil) -> Int {
    (family.map { [$0] } ?? families).map { order[$0.name]![tier]?.count ?? 0 }.reduce(0, +)
  }

  /// How many distinct instructions a model can be tuned on.
  public var seenInstructions: Int { count(.seen) }

  /// The first `perFamily` instructions of each family in `tier`, in the suite's seeded order:
  /// the test (or validation) instructions of an evaluation.
  public func sample(_ tier: Tier, perFamily: Int, families only: [TaskFamily]? = nil) -> [InstructionTask] {
    (only ?? families).flatMap { family in (order[family.name]![tier] ?? []).prefix(perFamily).map(family.task) }
  }

  /// The task named `replace-pair(x1=a,x2=b,y1=c,y2=d)` (or `count-before(x=c)`), if the suite has it.
  public func task(named name: String) -> InstructionTask? {
    let open = name.firstIndex(of: "(") ?? name.endIndex
    guard let family = family(named: String(name[..<open])) else { return nil }
    var binding: TaskBinding = [:]
    if open < name.endIndex {
      guard name.hasSuffix(")") else { return nil }
      for pair in name[name.index(after: open)..<name.index(before: name.endIndex)].split(separator: ",") {
        let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        binding[parts[0]] = parts[1]
      }
    }
    return family.space.index(of: binding).map(family.task)
  }

  /// `count` distinct seen instructions, a nested prefix of one seeded order that goes round the
  /// seen families (so sixteen instructions span eight families, and a family's share grows with
  /// the count until its seen bindings run out): 64 of them contain the first 16.
  public func seenSubset(_ count: Int, seed subsetSeed: UInt64) -> [InstructionTask] {
    var g = SeededGenerator(suiteSeed: seed &+ 0xC0FFEE &+ subsetSeed &* 7919)
    var byFamily = families(in: .seen).map { family in
      (family, order[family.name]![.seen]!.shuffled(using: &g))
    }
    byFamily.shuffle(using: &g)
    var chosen: [InstructionTask] = []
    var round = 0
    while chosen.count < count {
      var added = false
      for (family, indices) in byFamily where round < indices.count && chosen.count < count {
        chosen.append(family.task(indices[round]))
        added = true
      }
      if !added { break }
      round += 1
    }
    return chosen
  }

  /// The instruction of `among` of the same family whose binding is closest to `task`'s (fewest
  /// slots differ; the earliest on a tie), or nil when `among` has none of its family.
  public func nearest(to task: InstructionTask, among: [InstructionTask]) -> InstructionTask? {
    let space = task.family.space
    let index = space.index(of: task.binding)!
    var best: (InstructionTask, Int)?
    for other in among where other.family == task.family {
      let distance = space.distance(index, space.index(of: other.binding)!)
      if best == nil || distance < best!.1 { best = (other, distance) }
    }
    return best?.0
  }

  /// A generator private to one task and purpose, the same in every process.
  func generator(_ task: InstructionTask, _ purpose: String) -> SeededGenerator {
    SeededGenerator(suiteSeed: seed ^ SeededGenerator.hash(task.name + "/" + purpose))
  }

  /// The task's fixed demonstrations: two positive and two negative examples (SNI fixes them per
  /// task). Classification tasks show two different labels.
  public func examples(_ task: InstructionTask) -> (positive: [InstructionExample], negative: [InstructionExample]) {
    var g = generator(task, "examples")
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
    var labelOrder = task.labels?.shuffled(using: &g)
    while instances.count < count && attempts < 50 * count {
      attempts += 1
      let label = labelOrder.map { $0[instances.count % $0.count] }
      let instance = task.instance(&g, label: label)
      if demos.contains(instance.input) { continue }
      instances.append(instance)
      if let labels = task.labels, instances.count % labels.count == 0 { labelOrder = labels.shuffled(using: &g) }
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
