import Foundation
import Testing
import WorkbenchInstructions
import WorkbenchLM
import WorkbenchRandom
import WorkbenchTensor

private let suite = TaskSuite(seed: 0)

/// A few instructions of every family and tier (the suite holds over a hundred thousand).
private let sampled = TaskSuite.Tier.allCases.flatMap { suite.sample($0, perFamily: 6) }

struct InstructionSuiteTests {
  @Test func theSuiteIsTheSameForTheSameSeed() {
    let again = TaskSuite(seed: 0)
    for tier in TaskSuite.Tier.allCases {
      #expect(suite.sample(tier, perFamily: 6).map(\.name) == again.sample(tier, perFamily: 6).map(\.name))
    }
    for task in sampled {
      #expect(suite.tier(of: task) == again.tier(of: task))
      #expect(suite.examples(task).positive == again.examples(task).positive)
      #expect(suite.testInstances(task, count: 3) == again.testInstances(task, count: 3))
    }
    let other = TaskSuite(seed: 1)
    #expect(sampled.contains { suite.testInstances($0, count: 3) != other.testInstances($0, count: 3) })
    #expect(sampled.contains { suite.tier(of: $0) != other.tier(of: $0) })
  }

  @Test func bindingSpacesHoldThousandsOfInstructions() throws {
    let sizes = Dictionary(uniqueKeysWithValues: suite.families.map { ($0.name, $0.space.count) })
    // Counted by hand: ordered pairs of distinct letters (16·15) times pairs other than them (256 − 1);
    // x ≠ z, y ≠ x, w ≠ z: 16·15·15·15; sets of four of sixteen letters: C(16, 4) = 1,820;
    // three distinct letters in order: 16·15·14.
    #expect(sizes["replace-pair"] == 16 * 15 * 255)
    #expect(sizes["replace-two"] == 16 * 15 * 15 * 15)
    #expect(sizes["surround"] == 16 * 15 * 15)
    for name in ["remove-set", "keep-set", "contains-all", "how-many-of", "count-set"] { #expect(sizes[name] == 1820) }
    #expect(sizes["contains-sequence"] == 3360)
    #expect(sizes["drop-pairs"] == 240 && sizes["starts-or-ends"] == 256 && sizes["count-before"] == 16)
    #expect(sizes["to-front"] == 240 && sizes["swap"] == 120)
    // Most families, and every family a model is tuned on, have at least a thousand instructions.
    #expect(suite.families(in: .seen).allSatisfy { $0.space.count >= 1000 })
    #expect(suite.families.filter { $0.space.count >= 1000 }.count * 2 > suite.families.count)
    #expect(suite.seenInstructions > 90_000)
    // Every binding has its own index and a distinct definition.
    for family in suite.families {
      for index in stride(from: 0, to: family.space.count, by: max(1, family.space.count / 97)) {
        let task = family.task(index)
        #expect(family.index(of: task) == index)
        #expect(suite.task(named: task.name) == task)
      }
      #expect(
        Set((0..<min(200, family.space.count)).map { family.task($0).definition() }).count
          == min(200, family.space.count))
    }
    #expect(suite.task(named: "replace-pair(x1=a,x2=a,y1=b,y2=c)") == nil)  // x1 = x2 is not a rule
    #expect(suite.task(named: "remove-set(s1=c,s2=b,s3=d,s4=e)") == nil)  // sets are written in order
    #expect(suite.task(named: "nothing(x=a)") == nil)
  }

  @Test func categoriesFamiliesAndTheFiveTiers() throws {
    #expect(Set(suite.families.map(\.category)) == Set(TaskCategory.allCases))
    for family in suite.families { #expect(family.definitions.count >= 3, "\(family.name)") }
    for tier in TaskSuite.Tier.allCases { #expect(suite.count(tier) > 0, "\(tier)") }
    let seenFamilies = suite.families(in: .seen)
    #expect(suite.families(in: .unseenBinding) == seenFamilies)
    #expect(suite.families(in: .validation) == seenFamilies)
    for family in seenFamilies {
      // about a fifth of its bindings are test instructions and a twentieth validation ones
      let fraction = Double(suite.count(.unseenBinding, family: family)) / Double(family.space.count)
      #expect(fraction > 0.15 && fraction < 0.25, "\(family.name): \(fraction)")
      #expect(suite.count(.validation, family: family) > 40)
    }
    for family in suite.families(in: .unseenFamily) {
      #expect(suite.count(.unseenFamily, family: family) == family.space.count)
      #expect(seenFamilies.contains { $0.category == family.category }, "\(family.name)")
    }
    #expect(Set(suite.families(in: .unseenCategory).map(\.category)) == Set(TaskSuite.heldOutCategories))
    #expect(seenFamilies.allSatisfy { !TaskSuite.heldOutCategories.contains($0.category) })
    // The tiers of a family partition its bindings.
    for family in suite.families {
      #expect(TaskSuite.Tier.allCases.map { suite.count($0, family: family) }.reduce(0, +) == family.space.count)
    }
    for task in sampled { #expect(suite.sample(suite.tier(of: task), perFamily: 6).contains(task)) }
  }

  @Test func solversComputeWhatTheDefinitionsSay() throws {
    func answer(_ name: String, _ input: String) throws -> String {
      try #require(suite.task(named: name), "\(name)").answer(to: input)
    }
    let pair = "replace-pair(x1=c,x2=d,y1=a,y2=p)"
    #expect(try answer(pair, "b c d e c d") == "b a p e c d")  // the leftmost only
    #expect(try answer(pair, "d c e") == "d c e")  // absent: unchanged
    #expect(try answer(pair, "c c d") == "c a p")
    #expect(try answer("replace-two(x=a,y=b,z=b,w=c)", "a b c a") == "b c c b")  // simultaneous, not in turn
    #expect(try answer("surround(x=e,y=a,z=b)", "e f e") == "a e b f a e b")
    #expect(try answer("remove-set(s1=a,s2=c,s3=f,s4=k)", "a b c d k k") == "b d")
    #expect(try answer("remove-set(s1=a,s2=c,s3=f,s4=k)", "a a c") == "none")
    #expect(try answer("keep-set(s1=a,s2=c,s3=f,s4=k)", "k b a d a") == "k a a")
    #expect(try answer("drop-pairs(x=a,y=b)", "a b b a b a a") == "b a a")
    #expect(try answer("contains-sequence(x=a,y=b,z=c)", "d a b c") == "yes")
    #expect(try answer("contains-sequence(x=a,y=b,z=c)", "a b d c a c b") == "no")
    #expect(try answer("contains-all(s1=a,s2=b,s3=c,s4=d)", "d c x b a") == "yes")
    #expect(try answer("contains-all(s1=a,s2=b,s3=c,s4=d)", "d c c b") == "no")
    #expect(try answer("starts-or-ends(x=a,y=b)", "c d b") == "yes")
    #expect(try answer("starts-or-ends(x=a,y=b)", "b d a") == "no")
    #expect(try answer("how-many-of(s1=a,s2=b,s3=c,s4=d)", "a a b e f") == "2")  // distinct letters
    #expect(try answer("count-set(s1=a,s2=b,s3=c,s4=d)", "a a b e f") == "3")  // every item
    #expect(try answer("count-before(x=c)", "a b c c") == "2")
    #expect(try answer("to-front(x=c,y=a)", "b a c d c") == "c c a b d")
    #expect(try answer("swap(x=a,y=b)", "a b c b") == "b a c a")
  }

  @Test func theNearestSeenInstructionIsTheClosestBindingOfTheFamily() throws {
    let target = try #require(suite.task(named: "replace-pair(x1=a,x2=b,y1=c,y2=d)"))
    let tuned = try [
      "replace-pair(x1=e,x2=f,y1=g,y2=h)", "replace-pair(x1=a,x2=b,y1=c,y2=e)", "replace-pair(x1=a,x2=f,y1=c,y2=d)",
      "replace-two(x=a,y=b,z=c,w=d)",
    ].map { try #require(suite.task(named: $0)) }
    // Two tuned rules differ from the target in one slot; the earlier wins the tie. The
    // replace-two instruction, however close its letters, is of another family.
    #expect(suite.nearest(to: target, among: tuned) == tuned[1])
    #expect(suite.nearest(to: target, among: [tuned[0], tuned[3]]) == tuned[0])
    #expect(suite.nearest(to: target, among: [tuned[3]]) == nil)
    // Sets: the distance counts letters one set lacks, not positions.
    let set = try #require(suite.task(named: "remove-set(s1=a,s2=b,s3=c,s4=d)"))
    let shifted = try #require(suite.task(named: "remove-set(s1=b,s2=c,s3=d,s4=e)"))  // every slot differs, one letter
    let far = try #require(suite.task(named: "remove-set(s1=a,s2=b,s3=o,s4=p)"))  // two slots differ, two letters
    #expect(suite.nearest(to: set, among: [far, shifted]) == shifted)
    // Executed exactly: the baseline answers what the nearest rule gives.
    let data = InstructionData(suite: suite)
    let baseline = InstructionEvaluator(data: data).baselines(tasks: [target], instances: 4, tuned: tuned)
    let nearest = try #require(baseline["nearest-seen"])
    let test = suite.testInstances(target, count: 4)
    #expect(nearest.map(\.prediction) == test.map { tuned[1].answer(to: $0.input) })
    #expect(nearest.map(\.exactMatch) == test.map { $0.outputs[0] == tuned[1].answer(to: $0.input) ? 1 : 0 })
  }

  @Test func testSetsAreLabelBalancedAndAvoidTheDemonstrations() {
    for task in sampled {
      let test = suite.testInstances(task, count: 10)
      #expect(test.count == 10, "\(task.name)")
      let demos = Set(suite.examples(task).positive.map(\.input))
      #expect(test.allSatisfy { !demos.contains($0.input) }, "\(task.name)")
      if task.labels == ["yes", "no"] {
        let yes = test.filter { $0.outputs == ["yes"] }.count
        #expect(yes == 5, "\(task.name): \(yes) of 10 answers are yes")
      }
      if task.labels?.count == 5 {
        #expect(Set(test.map { $0.outputs[0] }).count == 5, "\(task.name): every count 0…4 is asked")
      }
    }
  }

  @Test func instructionSubsetsAreNestedAndSpanFamilies() {
    let seenFamilies = suite.families(in: .seen).count
    for seed in [0, 1] as [UInt64] {
      let small = suite.seenSubset(16, seed: seed)
      let large = suite.seenSubset(1024, seed: seed)
      #expect(Array(large.prefix(16)) == small)
      #expect(Set(small.map(\.family.name)).count == seenFamilies)
      #expect(Set(large.map(\.name)).count == 1024)
      #expect(large.allSatisfy { suite.tier(of: $0) == .seen })
      // round robin: every seen family holds 1024 / 8 of them
      #expect(Dictionary(grouping: large, by: \.family.name).values.allSatisfy { $0.count == 1024 / seenFamilies })
    }
    #expect(suite.seenSubset(16, seed: 0) != suite.seenSubset(16, seed: 1))
    #expect(suite.seenSubset(200_000, seed: 0).count == suite.seenInstructions)
  }

  @Test func noHeldOutInstructionOrTestInstanceReachesTuning() throws {
    let data = InstructionData(suite: suite)
    let tuned = suite.seenSubset(4096, seed: 0)
    let tunedNames = Set(tuned.map(\.name))
    // No held-out instruction is tuned on, whatever the tier.
    for tier in TaskSuite.Tier.allCases where tier != .seen {
      #expect(suite.sample(tier, perFamily: 10_000).allSatisfy { !tunedNames.contains($0.name) }, "\(tier)")
    }
    // Tuning rows hold only tuned instructions, and never a test input of theirs.
    let model = GPT(
      GPTConfig(layers: 1, width: 8, heads: 1, context: data.context, vocabulary: data.tokenizer.vocabulary),
      on: CPUBackend.shared, seed: 0)
    let tasks = Array(tuned.prefix(64))
    let byDefinition = Dictionary(uniqueKeysWithValues: tasks.map { ($0.definition(), $0) })
    let rows = InstructionTrainer(model: model, data: data).tuningRows(
      tasks: tasks, encodings: [.definition, .definitionPositives], seed: 3, testInstances: 4)
    var examples = 0
    for _ in 0..<100 {
      let row = rows().tokens
      // Examples are separated by <eos>; each is a prompt and its answer.
      for segment in row.split(separator: data.tokenizer.endOfTextID) {
        let text = data.tokenizer.decode(Array(segment))
        let lines = text.split(separator: "\n").map(String.init)
        guard let definition = lines.first(where: { $0.hasPrefix("Definition: ") }),
          let input = lines.last(where: { $0.hasPrefix("Input: ") })
        else { continue }
        let stated = String(definition.dropFirst(12).dropLast(definition.hasSuffix(" .") ? 2 : 0))
        let task = try #require(byDefinition[stated], "\(definition)")
        let tests = Set(suite.testInstances(task, count: 4).map(\.input))
        #expect(!tests.contains(String(input.dropFirst(7).dropLast(2))), "\(task.name): \(input)")
        examples += 1
      }
    }
    #expect(examples > 200)
    // Pretraining text never holds an answer of any tier's instruction: no Output field at all.
    var g = SeededGenerator(seed: 5)
    for _ in 0..<20 {
      let row = data.pretrainingRow(&g)
      #expect(!data.tokenizer.decode(row.tokens).contains("Output:"))
    }
  }

  @Test func promptsFollowTkInstructsLayout() throws {
    let task = try #require(suite.task(named: "swap(x=a,y=b)"))
    let (positive, negative) = suite.examples(task)
    let expected =
      "Definition: swap each a with b .\n\n"
      + " Positive Example 1 -\nInput: \(positive[0].input) .\n Output: \(positive[0].output) .\n\n"
      + " Positive Example 2 -\nInput: \(positive[1].input) .\n Output: \(positive[1].output) .\n\n"
      + " Negative Example 1 -\nInput: \(negative[0].input) .\n Output: \(negative[0].output) .\n\n"
      + " Negative Example 2 -\nInput: \(negative[1].input) .\n Output: \(negative[1].output) .\n\n"
      + "Now complete the following example -\nInput: a b c .\nOutput: "
    #expect(InstructionEncoding.definitionPositivesNegatives.prompt(task, input: "a b c", suite: suite) == expected)
    let zeroShot = InstructionEncoding.definition.prompt(task, input: "a b", suite: suite)
    #expect(
      zeroShot == "Definition: swap each a with b .\n\nNow complete the following example -\nInput: a b .\nOutput: ")
    let explained = InstructionEncoding.definitionPositivesExplanations.prompt(task, input: "a", suite: suite)
    #expect(explained.contains(" Explanation: a and b traded places .\n"))
    #expect(!InstructionEncoding.positives.prompt(task, input: "a", suite: suite).contains("Definition:"))
  }

  @Test func everyPromptAndAnswerIsInTheVocabulary() throws {
    let data = InstructionData(suite: suite)
    let unknown: Int32 = 1
    for task in sampled {
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
    // Each kind of text occurs: repetitions, numbered lists, runs, sums, task inputs.
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
    let task = try #require(suite.task(named: "count-before(x=c)"))
    let instance = InstructionInstance(input: "a b c", outputs: ["2"])
    let (tokens, targets, answerTokens) = data.sequence(task, instance: instance, encoding: .definition)
    let prompt = data.prompt(task, input: "a b c", encoding: .definition)
    #expect(answerTokens == 2)  // "2" and <eos>
    #expect(tokens == prompt + data.tokenizer.encode("2"))
    #expect(targets.dropLast(2).allSatisfy { $0 == -1 })
    #expect(Array(targets.suffix(2)) == data.tokenizer.encode("2") + [data.tokenizer.endOfTextID])
  }

  @Test func baselinesAreScoredLikePredictions() throws {
    let data = InstructionData(suite: suite)
    let task = try #require(suite.task(named: "remove-set(s1=b,s2=e,s3=g,s4=k)"))
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
