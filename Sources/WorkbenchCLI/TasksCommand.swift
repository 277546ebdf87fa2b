import ArgumentParser
import Foundation
import WorkbenchLM

extension InstructionEncoding: ExpressibleByArgument {}
extension TaskSuite.Tier: ExpressibleByArgument {}

struct TasksCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tasks",
    abstract: "The instruction-task suite: its tasks, split and rendered examples.",
    discussion: """
      The suite is generated from a seed (nothing is downloaded): families of small operations
      on letters, digits, a closed lexicon and a toy grammar, in twelve categories, each family
      with bindings that make distinct tasks, in Super-NaturalInstructions' schema.
        workbench tasks list --tier unseen-binding
        workbench tasks show "remove(x=b)" --encoding def+pos+neg
      """,
    subcommands: [List.self, Show.self])

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every task with its category, metric and tier.")
    @Option(help: "Only this tier: seen, unseen-binding, unseen-family, unseen-category.") var tier: TaskSuite.Tier?
    @Option(help: "Only this category.") var category: String?
    @Option(help: "The suite's seed.") var seed: UInt64 = 0

    func run() throws {
      let suite = TaskSuite(seed: seed)
      if let category, TaskCategory(rawValue: category) == nil {
        throw CLIError(
          "no category '\(category)'; the categories are \(TaskCategory.allCases.map(\.rawValue).joined(separator: ", "))"
        )
      }
      var table = TextTable(["TASK", "CATEGORY", "METRIC", "TIER", "DEFINITION"])
      var shown = 0
      for task in suite.tasks {
        let taskTier = suite.tier(of: task)
        if let tier, tier != taskTier { continue }
        if let category, task.category.rawValue != category { continue }
        table.append([task.name, task.category.rawValue, task.metric.rawValue, taskTier.rawValue, task.definition()])
        shown += 1
      }
      emit(table.render())
      let counts = TaskSuite.Tier.allCases.map { "\(suite.tasks(in: $0).count) \($0.rawValue)" }
      let data = InstructionData(suite: suite)
      emit(
        "word vocabulary \(data.tokenizer.vocabulary), longest prompt with its answer \(data.context) tokens or fewer")
      emit(
        "\(shown) of \(suite.tasks.count) tasks (\(Set(suite.tasks.map(\.family.name)).count) families, "
          + "\(TaskCategory.allCases.count) categories): \(counts.joined(separator: ", "))")
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
        let close = suite.tasks.map(\.name).filter { $0.hasPrefix(task.prefix(while: { $0 != "(" })) }.prefix(8)
        throw CLIError(
          "no task '\(task)'"
            + (close.isEmpty
              ? "; `workbench tasks list` names them" : "; did you mean \(close.joined(separator: ", "))?"))
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
