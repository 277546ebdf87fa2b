import ArgumentParser
import Foundation
import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM

extension InstructionEncoding: ExpressibleByArgument {}
extension TaskSuite.Tier: ExpressibleByArgument {}

struct TasksCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tasks",
    abstract: "The instruction-task suite: its tasks, split and rendered examples.",
    discussion: """
      The suite is generated from a seed (nothing is downloaded): families of operations on
      short lists of letters whose arguments (letters, letter pairs, letter sets) are written
      into the definition, so that most families hold thousands of distinct instructions, in
      Super-NaturalInstructions' schema. Without --family, one line per family: its bindings by
      tier. With --family, its instructions (the first --limit of a tier's seeded order).
        workbench tasks list
        workbench tasks list --family replace-pair --tier unseen-binding
        workbench tasks show "replace-pair(x1=a,x2=b,y1=c,y2=d)" --encoding def+pos+neg
      """,
    subcommands: [List.self, Show.self])

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The families with their instructions by tier, or one family's instructions.")
    @Option(help: "Only this tier: seen, validation, unseen-binding, unseen-family, unseen-category.")
    var tier: TaskSuite.Tier?
    @Option(help: "Only this category.") var category: String?
    @Option(help: "List this family's instructions.") var family: String?
    @Option(help: "With --family or --tuned: how many instructions (of each tier) to list.") var limit = 20
    @Option(help: "List the instructions a run with this I (instructions: I) is tuned on, in order.") var tuned: Int?
    @Option(help: "With --tuned: the run's subset_seed.") var subsetSeed: UInt64 = 0
    @Option(help: "The suite's seed.") var seed: UInt64 = 0

    func run() throws {
      let suite = TaskSuite(seed: seed)
      if let category, TaskCategory(rawValue: category) == nil {
        throw CLIError(
          "no category '\(category)'; the categories are \(TaskCategory.allCases.map(\.rawValue).joined(separator: ", "))"
        )
      }
      let tiers = tier.map { [$0] } ?? TaskSuite.Tier.allCases
      if let tuned {
        guard tuned >= 0, tuned <= suite.seenInstructions else {
          throw CLIError(
            "--tuned must be 0…\(suite.seenInstructions): the suite holds \(suite.seenInstructions) seen instructions")
        }
        var table = TextTable(["TASK", "CATEGORY", "DEFINITION"])
        let chosen = suite.seenSubset(tuned, seed: subsetSeed).filter { task in
          (family == nil || task.family.name == family) && (category == nil || task.category.rawValue == category)
        }
        for task in chosen.prefix(limit) { table.append([task.name, task.category.rawValue, task.definition()]) }
        emit(table.render())
        emit(
          "\(min(limit, chosen.count)) of the \(chosen.count) listed of \(tuned) tuned instructions (subset_seed \(subsetSeed))"
        )
        return
      }
      if let family {
        guard let found = suite.family(named: family) else {
          let names = suite.families.map(\.name)
          let close = nearest(to: family, in: names).map { "; did you mean \($0)?" } ?? ""
          throw CLIError("no family '\(family)'\(close) (the families: \(names.joined(separator: ", ")))")
        }
        var table = TextTable(["TASK", "TIER", "DEFINITION"])
        for tier in tiers {
          for task in suite.sample(tier, perFamily: max(0, limit), families: [found]) {
            table.append([task.name, tier.rawValue, task.definition()])
          }
        }
        emit(table.render())
        let counts = tiers.map { "\(suite.count($0, family: found)) \($0.rawValue)" }
        emit(
          "\(found.name): \(found.space.count) instructions (\(counts.joined(separator: ", "))); first \(limit) of each tier listed"
        )
        return
      }
      var table = TextTable(
        ["FAMILY", "CATEGORY", "METRIC", "INSTRUCTIONS"] + tiers.map { $0.rawValue.uppercased() } + ["EXAMPLE"])
      var shown = 0
      for family in suite.families {
        if let category, family.category.rawValue != category { continue }
        if let tier, suite.count(tier, family: family) == 0 { continue }
        table.append(
          [family.name, family.category.rawValue, family.metric.rawValue, String(family.space.count)]
            + tiers.map { String(suite.count($0, family: family)) } + [family.task(0).definition()])
        shown += 1
      }
      emit(table.render())
      let counts = TaskSuite.Tier.allCases.map { "\(suite.count($0)) \($0.rawValue)" }
      let data = InstructionData(suite: suite)
      emit(
        "word vocabulary \(data.tokenizer.vocabulary), model context \(data.context) tokens (the longest prompt of any encoding with its answer fits)"
      )
      emit(
        "\(shown) of \(suite.families.count) families, \(TaskCategory.allCases.count) categories; "
          + "instructions: \(counts.joined(separator: ", "))")
    }
  }

  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "One task: definitions, demonstrations, test instances and a rendered prompt.")
    @Argument(help: "The task, as `workbench tasks list` names it.") var task: String
    @Option(help: "The prompt layout: def, pos, def+pos, def+pos+neg, def+pos+expl.")
    var encoding: InstructionEncoding = .definitionPositives
    @Option(help: "Test instances to print.") var instances = 3
    @Option(help: "The suite's seed.") var seed: UInt64 = 0

    func run() throws {
      let suite = TaskSuite(seed: seed)
      guard let found = suite.task(named: task) else {
        let name = String(task.prefix(while: { $0 != "(" }))
        if let family = suite.family(named: name) {
          let example = family.task(0).name
          throw CLIError(
            "no task '\(task)': \(name) takes \(family.space.keys.joined(separator: ", ")) — e.g. \(example) "
              + "(`workbench tasks list --family \(name)` lists them)")
        }
        let close = nearest(to: name, in: suite.families.map(\.name)).map { "; did you mean \($0)?" } ?? ""
        throw CLIError("no family '\(name)'\(close) (`workbench tasks list` names them)")
      }
      emit("task      \(found.name)")
      emit("category  \(found.category.rawValue) (scored by \(found.metric.rawValue))")
      emit("tier      \(suite.tier(of: found).rawValue)")
      if let labels = found.labels { emit("labels    \(labels.joined(separator: ", "))") }
      for i in found.family.definitions.indices { emit("definition \(i + 1): \(found.definition(i))") }
      let (positive, negative) = suite.examples(found)
      for (kind, examples) in [("positive", positive), ("negative", negative)] {
        for (i, example) in examples.enumerated() {
          emit("\(kind) example \(i + 1): \(example.input) → \(example.output)  (\(example.explanation))")
        }
      }
      let test = suite.testInstances(found, count: max(instances, 1))
      for instance in test.prefix(instances) {
        emit("instance: \(instance.input) → \(instance.outputs.joined(separator: " | "))")
      }
      emit("\nprompt (\(encoding.rawValue)):\n")
      emit(encoding.prompt(found, input: test[0].input, suite: suite) + test[0].outputs[0])
    }
  }
}
