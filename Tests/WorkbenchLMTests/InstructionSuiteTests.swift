import Foundation
import Testing
import WorkbenchLM
import WorkbenchTensor

private let suite = TaskSuite(seed: 0)

struct InstructionSuiteTests {
  @Test func theSuiteIsTheSameForTheSameSeed() {
    let again = TaskSuite(seed: 0)
    #expect(suite.tasks.map(\.name) == again.tasks.map(\.name))
    for task in suite.tasks {
      #expect(suite.tier(of: task) == again.tier(of: task))
      #expect(suite.examples(task).positive == again.examples(task).positive)
      #expect(suite.testInstances(task, count: 3) == again.testInstances(task, count: 3))
    }
    let other = TaskSuite(seed: 1)
    #expect(suite.tasks.contains { suite.testInstances($0, count: 3) != other.testInstances($0, count: 3) })
  }

  @Test func categoriesFamiliesAndTheFourTiers() throws {
    #expect(Set(suite.tasks.map(\.category)).count == 12)
    let families = Dictionary(grouping: suite.tasks, by: \.family.name)
    #expect(families.count >= 48)
    for task in suite.tasks { #expect(task.family.definitions.count >= 3, "\(task.name)") }
    for tier in TaskSuite.Tier.allCases { #expect(!suite.tasks(in: tier).isEmpty, "\(tier)") }
    for task in suite.tasks(in: .unseenBinding) {
      // another binding of the same family is seen
      #expect(families[task.family.name]!.contains { suite.tier(of: $0) == .seen }, "\(task.name)")
    }
    for task in suite.tasks(in: .unseenFamily) {
      #expect(families[task.family.name]!.allSatisfy { suite.tier(of: $0) == .unseenFamily })
      #expect(suite.tasks(in: .seen).contains { $0.category == task.category }, "\(task.name)")
    }
    #expect(Set(suite.tasks(in: .unseenCategory).map(\.category)) == Set(TaskSuite.heldOutCategories))
    #expect(suite.tasks(in: .seen).allSatisfy { !TaskSuite.heldOutCategories.contains($0.category) })
  }

  @Test func solversComputeWhatTheDefinitionsSay() throws {
    func answer(_ name: String, _ input: String) throws -> String {
      try #require(suite.task(named: name)).answer(to: input)
    }
    #expect(try answer("remove(x=b)", "a b c b") == "a c")
    #expect(try answer("remove(x=b)", "b b") == "none")
    #expect(try answer("reverse", "a b c") == "c b a")
    #expect(try answer("first(k=2)", "d c b a e") == "d c")
    #expect(try answer("rotate(k=1)", "a b c d e") == "b c d e a")
    #expect(try answer("sort", "c a b") == "a b c")
    #expect(try answer("count(x=a)", "a b a") == "2")
    #expect(try answer("sum", "3 4 9") == "16")
    #expect(try answer("add(k=3)", "8 1") == "1 4")
    #expect(try answer("contains(x=c)", "a b") == "no")
    #expect(try answer("common", "a b c | c a") == "a c")
    #expect(try answer("longer", "a b | c") == "first")
    #expect(try answer("plural", "mouse") == "mice")
    #expect(try answer("record(t=name has a pet)", "name tom | age 3 | pet cat") == "tom has a cat")
    #expect(try answer("question", "the cat sees the dog") == "does the cat see the dog ?")
    #expect(try answer("past", "the fox finds the goose") == "the fox found the goose")
    #expect(try answer("fix-repeat", "a b b c") == "a b c")
  }

  @Test func testSetsAreLabelBalancedAndAvoidTheDemonstrations() {
    for task in suite.tasks {
      let test = suite.testInstances(task, count: 10)
      #expect(test.count == 10, "\(task.name)")
      let demos = Set(suite.examples(task).positive.map(\.input))
      #expect(test.allSatisfy { !demos.contains($0.input) }, "\(task.name)")
      if task.labels == ["yes", "no"] {
        let yes = test.filter { $0.outputs == ["yes"] }.count
        #expect(yes == 5, "\(task.name): \(yes) of 10 answers are yes")
      }
    }
  }

  @Test func taskSubsetsAreNestedAndSpanFamilies() {
    for seed in [0, 1, 2] as [UInt64] {
      let small = suite.seenSubset(8, seed: seed)
      let large = suite.seenSubset(32, seed: seed)
      #expect(Array(large.prefix(8)) == small)
      #expect(Set(small.map(\.family.name)).count == 8)
      #expect(large.allSatisfy { suite.tier(of: $0) == .seen })
    }
    #expect(suite.seenSubset(8, seed: 0) != suite.seenSubset(8, seed: 1))
    #expect(suite.seenSubset(1000, seed: 0).count == suite.tasks(in: .seen).count)
  }

  @Test func promptsFollowTkInstructsLayout() throws {
    let task = try #require(suite.task(named: "reverse"))
    let (positive, negative) = suite.examples(task)
    let expected =
      "Definition: reverse the list .\n\n"
      + " Positive Example 1 -\nInput: \(positive[0].input) .\n Output: \(positive[0].output) .\n\n"
      + " Positive Example 2 -\nInput: \(positive[1].input) .\n Output: \(positive[1].output) .\n\n"
      + " Negative Example 1 -\nInput: \(negative[0].input) .\n Output: \(negative[0].output) .\n\n"
      + " Negative Example 2 -\nInput: \(negative[1].input) .\n Output: \(negative[1].output) .\n\n"
      + "Now complete the following example -\nInput: a b c .\nOutput: "
    #expect(InstructionEncoding.definitionPositivesNegatives.prompt(task, input: "a b c", suite: suite) == expected)
    let zeroShot = InstructionEncoding.definition.prompt(task, input: "a b", suite: suite)
    #expect(
      zeroShot == "Definition: reverse the list .\n\nNow complete the following example -\nInput: a b .\nOutput: ")
    let explained = InstructionEncoding.definitionPositivesExplanations.prompt(task, input: "a", suite: suite)
    #expect(explained.contains(" Explanation: the last item comes first .\n"))
    #expect(!InstructionEncoding.positives.prompt(task, input: "a", suite: suite).contains("Definition:"))
  }

  @Test func everyPromptAndAnswerIsInTheVocabulary() throws {
    let data = InstructionData(suite: suite)
    let unknown: Int32 = 1
    for task in suite.tasks {
      for instance in suite.testInstances(task, count: 5) {
        for encoding in InstructionEncoding.allCases {
          let tokens = data.prompt(task, input: instance.input, encoding: encoding)
          #expect(!tokens.contains(unknown), "\(task.name) \(encoding)")
          #expect(tokens.count + instance.outputs[0].split(separator: " ").count + 1 <= data.context)
        }
        let answer = data.tokenizer.encode(instance.outputs[0])
        #expect(!answer.contains(unknown), "\(task.name): \(instance.outputs[0])")
        #expect(data.tokenizer.decode(answer) == instance.outputs[0])
      }
    }
  }

  @Test func pretrainingTextHasEveryKindInVocabularyAndNoAnswers() throws {
    let data = InstructionData(suite: suite)
    var g = SeededGenerator(seed: 7)
    var text = ""
    for _ in 0..<400 { text += PretrainingText.passage(&g, suite: suite) + "\n\n" }
    // Each kind of text occurs: facts, repetitions, numbered lists, runs, sums, task inputs.
    #expect(text.contains(" is a "))
    #expect(text.contains("1 ") && text.contains(" , 2 "))
    #expect(text.contains(" make "))
    #expect(text.contains("Definition: ") && text.contains("Input: "))
    #expect(
      text.split(separator: "\n").contains { line in
        let words = line.split(separator: " ")
        return words.count >= 4 && words.last == "." && !line.contains(",") && !line.contains("Input")
      })
    // No task's output: the base model never sees an Output field.
    #expect(!text.contains("Output:"))
    #expect(!data.tokenizer.encode(text).contains(1))  // <unk>
    var rowGenerator = SeededGenerator(seed: 8)
    let row = data.pretrainingRow(&rowGenerator)
    #expect(row.tokens.count == data.context && row.targets.count == data.context)
    #expect(Array(row.tokens.dropFirst()) == Array(row.targets.dropLast()))
  }

  @Test func theLossFallsOnTheAnswerOnly() throws {
    let data = InstructionData(suite: suite)
    let task = try #require(suite.task(named: "sum"))
    let instance = InstructionInstance(input: "3 4", outputs: ["7"])
    let (tokens, targets, answerTokens) = data.sequence(task, instance: instance, encoding: .definition)
    let prompt = data.prompt(task, input: "3 4", encoding: .definition)
    #expect(answerTokens == 2)  // "7" and <eos>
    #expect(tokens == prompt + data.tokenizer.encode("7"))
    #expect(targets.dropLast(2).allSatisfy { $0 == -1 })
    #expect(Array(targets.suffix(2)) == data.tokenizer.encode("7") + [data.tokenizer.endOfTextID])
  }

  @Test func baselinesAreScoredLikePredictions() throws {
    let data = InstructionData(suite: suite)
    let task = try #require(suite.task(named: "remove(x=b)"))
    let baselines = InstructionEvaluator(data: data).baselines(tasks: [task], instances: 4)
    let test = suite.testInstances(task, count: 4)
    let copy = try #require(baselines["copy-input"])
    #expect(copy.map(\.prediction) == test.map(\.input))
    for (p, instance) in zip(copy, test) {
      #expect(p.rougeL == InstructionMetrics.rougeL(prediction: instance.input, references: instance.outputs))
    }
    let demo = suite.examples(task).positive[0].output
    #expect(try #require(baselines["copy-demo-output"]).allSatisfy { $0.prediction == demo })
  }
}
