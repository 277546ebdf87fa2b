import ArgumentParser
import Foundation
import WorkbenchFiles
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
      With --source DIR, the same for a Super-NaturalInstructions folder (a clone of
      allenai/natural-instructions, or any folder with tasks/ and splits/<split>/):
        workbench tasks list --source natural-instructions --split default
        workbench tasks show task1356_xlsum_title_generation --source natural-instructions
      `tasks export` writes the suite in SNI's format (a folder to try the SNI pipeline on).
      """,
    subcommands: [List.self, Show.self, Export.self])

  /// A Super-NaturalInstructions folder and split (`--source`, `--split`).
  struct SNIOptions: ParsableArguments {
    @Option(help: "A Super-NaturalInstructions folder (tasks/, splits/) instead of the generated suite.")
    var source: String?
    @Option(help: "With --source: the split (splits/<split>/).") var split = "default"
  }

  /// Lists a Super-NaturalInstructions split's tasks.
  static func listSNI(_ options: SNIOptions, category: String?, limit: Int) throws {
    var source = SNISource(path: options.source!)
    source.split = options.split
    source.languages = "all"
    source.testInstances = 1
    source.maxInstancesPerTask = 1
    let dataset = try SNIDataset(source) { writeStandardErrorLine($0) }
    let train = try SNIDataset.taskList(source, "train_tasks.txt")
    var table = TextTable(["TASK", "SPLIT", "CATEGORY", "INSTANCES", "ENGLISH", "DEFINITION"])
    var shown = 0
    for (part, tasks) in [("train", dataset.train), ("test", dataset.test)] {
      for task in tasks
      where category == nil || SNIScores.categoryKey(task.category) == SNIScores.categoryKey(category!) {
        shown += 1
        guard shown <= limit else { continue }
        let definition = task.definition.replacingOccurrences(of: "\n", with: " ")
        table.append([
          task.name, part, task.category, String(task.instanceCount), task.isEnglish ? "yes" : "no",
          definition.count > 60 ? String(definition.prefix(59)) + "…" : definition,
        ])
      }
    }
    print(table.render())
    let english = (dataset.train + dataset.test).filter(\.isEnglish)
    print(
      "\(min(shown, limit)) of \(shown) listed; split '\(source.split)': \(train.count) training and "
        + "\(dataset.test.count) test tasks, \(english.count) of them English (the default track)")
  }

  /// Writes the suite as a Super-NaturalInstructions folder.
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write the generated suite as a Super-NaturalInstructions folder (tasks/, splits/default/).",
      discussion: """
        Training tasks are seen instructions of the suite (the first --train of the subset order),
        test tasks unseen families and the unseen category, each a task file in SNI's schema
        (Definition, Positive/Negative Examples with explanations, Instances with ids and
        references, Categories, languages). An experiment points at the folder as at a clone of
        the real dataset:  tasks: {source: sni, path: DIR}
        """)
    @Argument(help: "The folder to write (created; existing task files are replaced).") var folder: String
    @Option(help: "Training tasks.") var train = 256
    @Option(help: "Test tasks.") var test = 24
    @Option(help: "Instances per task.") var instances = 100
    @Option(help: "The suite's seed.") var seed: UInt64 = 0

    func validate() throws {
      guard (1...100_000).contains(train), (1...10_000).contains(test), (1...10_000).contains(instances) else {
        throw ValidationError("--train must be 1…100000, --test 1…10000 and --instances 1…10000")
      }
    }

    func run() throws {
      let suite = TaskSuite(seed: seed)
      guard train <= suite.seenInstructions else {
        throw CommandError("--train must be at most \(suite.seenInstructions), the suite's seen instructions")
      }
      let trainTasks = suite.seenSubset(train, seed: 0)
      let unseen = suite.sample(.unseenFamily, perFamily: test) + suite.sample(.unseenCategory, perFamily: test)
      var testTasks: [InstructionTask] = []
      // Round-robin over families, so a few test tasks still cover several.
      var byFamily: [[InstructionTask]] = []
      for family in suite.families {
        let tasks = unseen.filter { $0.family == family }
        if !tasks.isEmpty { byFamily.append(tasks) }
      }
      var round = 0
      while testTasks.count < test && byFamily.contains(where: { $0.count > round }) {
        for tasks in byFamily where tasks.count > round && testTasks.count < test { testTasks.append(tasks[round]) }
        round += 1
      }
      let root = URL(fileURLWithPath: folder)
      let tasksFolder = root.appendingPathComponent("tasks")
      let splitFolder = root.appendingPathComponent("splits/default")
      do {
        try FileManager.default.createDirectory(at: tasksFolder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: splitFolder, withIntermediateDirectories: true)
        var names: [[String]] = [[], []]
        var number = 0
        for (part, tasks) in [trainTasks, testTasks].enumerated() {
          for task in tasks {
            number += 1
            let name = String(format: "task%04d_", number) + task.family.name.replacingOccurrences(of: "-", with: "_")
            names[part].append(name)
            try Data((Self.taskJSON(task, name: name, suite: suite, instances: instances) + "\n").utf8)
              .writeAtomically(to: tasksFolder.appendingPathComponent(name + ".json"))
          }
        }
        try Data(names[0].map { $0 + "\n" }.joined().utf8).write(
          to: splitFolder.appendingPathComponent("train_tasks.txt"))
        try Data(names[1].map { $0 + "\n" }.joined().utf8).write(
          to: splitFolder.appendingPathComponent("test_tasks.txt"))
      } catch {
        throw CommandError("\(folder): cannot be written (\((error as NSError).localizedDescription))")
      }
      print(
        "wrote \(trainTasks.count) training and \(testTasks.count) test tasks (\(instances) instances each) to \(folder)"
      )
    }

    static func taskJSON(_ task: InstructionTask, name: String, suite: TaskSuite, instances: Int) -> String {
      func example(_ e: InstructionExample) -> JSONNode {
        .object([("input", .string(e.input)), ("output", .string(e.output)), ("explanation", .string(e.explanation))])
      }
      let (positive, negative) = suite.examples(task)
      let english = JSONNode.array([.string("English")])
      let items = suite.testInstances(task, count: instances).enumerated().map { i, instance in
        JSONNode.object([
          ("id", .string("\(name)-\(i)")), ("input", .string(instance.input)),
          ("output", .array(instance.outputs.map { .string($0) })),
        ])
      }
      return JSONNode.object([
        ("Contributors", .array([.string("workbench tasks export")])), ("Source", .array([.string("workbench suite")])),
        ("Categories", .array([.string(task.category.rawValue)])), ("Reasoning", .array([])),
        ("Definition", .array([.string(task.definition())])), ("Input_language", english),
        ("Output_language", english), ("Instruction_language", english), ("Domains", .array([.string("Synthetic")])),
        ("Positive Examples", .array(positive.map(example))), ("Negative Examples", .array(negative.map(example))),
        ("Instances", .array(items)),
      ]).text
    }
  }

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
    @OptionGroup var sni: SNIOptions

    func run() throws {
      if sni.source != nil { return try TasksCommand.listSNI(sni, category: category, limit: limit) }
      let suite = TaskSuite(seed: seed)
      if let category, TaskCategory(rawValue: category) == nil {
        throw CommandError(
          "no category '\(category)'; the categories are \(TaskCategory.allCases.map(\.rawValue).joined(separator: ", "))"
        )
      }
      let tiers = tier.map { [$0] } ?? TaskSuite.Tier.allCases
      if let tuned {
        guard tuned >= 0, tuned <= suite.seenInstructions else {
          throw CommandError(
            "--tuned must be 0…\(suite.seenInstructions): the suite holds \(suite.seenInstructions) seen instructions")
        }
        var table = TextTable(["TASK", "CATEGORY", "DEFINITION"])
        let chosen = suite.seenSubset(tuned, seed: subsetSeed).filter { task in
          (family == nil || task.family.name == family) && (category == nil || task.category.rawValue == category)
        }
        for task in chosen.prefix(limit) { table.append([task.name, task.category.rawValue, task.definition()]) }
        print(table.render())
        print(
          "\(min(limit, chosen.count)) of the \(chosen.count) listed of \(tuned) tuned instructions (subset_seed \(subsetSeed))"
        )
        return
      }
      if let family {
        guard let found = suite.family(named: family) else {
          let names = suite.families.map(\.name)
          let close = nearest(to: family, in: names).map { "; did you mean \($0)?" } ?? ""
          throw CommandError("no family '\(family)'\(close) (the families: \(names.joined(separator: ", ")))")
        }
        var table = TextTable(["TASK", "TIER", "DEFINITION"])
        for tier in tiers {
          for task in suite.sample(tier, perFamily: max(0, limit), families: [found]) {
            table.append([task.name, tier.rawValue, task.definition()])
          }
        }
        print(table.render())
        let counts = tiers.map { "\(suite.count($0, family: found)) \($0.rawValue)" }
        print(
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
      print(table.render())
      let counts = TaskSuite.Tier.allCases.map { "\(suite.count($0)) \($0.rawValue)" }
      let data = InstructionData(suite: suite)
      print(
        "word vocabulary \(data.tokenizer.vocabulary), model context \(data.context) tokens (the longest prompt of any encoding with its answer fits)"
      )
      print(
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
    @OptionGroup var sni: SNIOptions

    func run() throws {
      if let folder = sni.source { return try showSNI(folder) }
      let suite = TaskSuite(seed: seed)
      guard let found = suite.task(named: task) else {
        let name = String(task.prefix(while: { $0 != "(" }))
        if let family = suite.family(named: name) {
          let example = family.task(0).name
          throw CommandError(
            "no task '\(task)': \(name) takes \(family.space.keys.joined(separator: ", ")) — e.g. \(example) "
              + "(`workbench tasks list --family \(name)` lists them)")
        }
        let close = nearest(to: name, in: suite.families.map(\.name)).map { "; did you mean \($0)?" } ?? ""
        throw CommandError("no family '\(name)'\(close) (`workbench tasks list` names them)")
      }
      print("task      \(found.name)")
      print("category  \(found.category.rawValue) (scored by \(found.metric.rawValue))")
      print("tier      \(suite.tier(of: found).rawValue)")
      if let labels = found.labels { print("labels    \(labels.joined(separator: ", "))") }
      for i in found.family.definitions.indices { print("definition \(i + 1): \(found.definition(i))") }
      let (positive, negative) = suite.examples(found)
      for (kind, examples) in [("positive", positive), ("negative", negative)] {
        for (i, example) in examples.enumerated() {
          print("\(kind) example \(i + 1): \(example.input) → \(example.output)  (\(example.explanation))")
        }
      }
      let test = suite.testInstances(found, count: max(instances, 1))
      for instance in test.prefix(instances) {
        print("instance: \(instance.input) → \(instance.outputs.joined(separator: " | "))")
      }
      print("\nprompt (\(encoding.rawValue)):\n")
      print(encoding.prompt(found, input: test[0].input, suite: suite) + test[0].outputs[0])
    }

    /// One task of a Super-NaturalInstructions folder.
    func showSNI(_ folder: String) throws {
      let url = SNIDataset.taskURL(
        URL(fileURLWithPath: folder), task.hasSuffix(".json") ? String(task.dropLast(5)) : task)
      guard FileManager.default.fileExists(atPath: url.path) else {
        throw CommandError("\(url.path): no such task file (`workbench tasks list --source \(folder)` lists the tasks)")
      }
      let found = try SNIDataset.readTask(at: url, keep: .first(max(1, instances)))
      print("task      \(found.name)")
      print("category  \(found.categories.joined(separator: ", "))")
      print(
        "languages input \(found.inputLanguages.joined(separator: ", ")), output \(found.outputLanguages.joined(separator: ", ")), instruction \(found.instructionLanguages.joined(separator: ", "))"
      )
      print("instances \(found.instanceCount)")
      print("definition: \(found.definition)")
      for (kind, examples) in [("positive", found.positives), ("negative", found.negatives)] {
        for (i, example) in examples.enumerated() {
          print("\(kind) example \(i + 1): \(example.input) → \(example.output)")
        }
      }
      for instance in found.instances.prefix(instances) {
        print("instance \(instance.id): \(instance.input) → \(instance.outputs.joined(separator: " | "))")
      }
      let first = found.instances[0]
      print("\nprompt (\(encoding.rawValue)):\n")
      print(
        encoding.prompt(
          definition: found.definition, positives: found.positives, negatives: found.negatives, input: first.input)
          + first.outputs[0])
    }
  }
}
