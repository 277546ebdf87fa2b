import Foundation
import PromptSensitivityPlugin
import Testing
import WorkbenchFit
import WorkbenchInstructions
import WorkbenchLM
import WorkbenchRandom
import WorkbenchTensor

private let suite = TaskSuite(seed: 0)

struct PromptSensitivityTests {
  /// Zhao et al.'s contextual calibration on numbers worked by hand: the model prefers label 0
  /// (0.6 vs 0.4), but content-free inputs show it prefers label 0 anyway (p_cf = 0.8 vs 0.2), so
  /// 0.6 / 0.8 = 0.75 < 0.4 / 0.2 = 2.0 and the calibrated answer flips to label 1.
  @Test func calibrationFlipsAPredictionDrivenByTheLabelBias() {
    let contentFree = ContextualCalibration.contentFree([[0.8, 0.2], [0.7, 0.3], [0.9, 0.1]])
    #expect(abs(contentFree[0] - 0.8) < 1e-12 && abs(contentFree[1] - 0.2) < 1e-12)
    #expect(ContextualCalibration.predict([0.6, 0.4], contentFree: contentFree) == 1)
    // unnormalised probabilities (label tokens take half the mass) give the same answer
    #expect(ContextualCalibration.predict([0.3, 0.2], contentFree: contentFree) == 1)
    // a strong enough preference survives: 0.9 / 0.8 = 1.125 > 0.1 / 0.2 = 0.5
    #expect(ContextualCalibration.predict([0.9, 0.1], contentFree: contentFree) == 0)
    // content-free probabilities are renormalised before averaging: [2, 2] counts as [0.5, 0.5]
    let mixed = ContextualCalibration.contentFree([[2, 2], [0.9, 0.1]])
    #expect(abs(mixed[0] - 0.7) < 1e-12 && abs(mixed[1] - 0.3) < 1e-12)
  }

  @Test func spearmanCorrelationWithTies() throws {
    #expect(spearmanCorrelation([1, 2, 3, 4], [10, 20, 30, 40]) == 1)
    #expect(spearmanCorrelation([1, 2, 3, 4], [4, 3, 2, 1]) == -1)
    // ranks [1.5, 1.5, 3] and [1, 2, 3]: covariance 1.5, variances 1.5 and 2 → 1.5 / √3
    let rho = try #require(spearmanCorrelation([1, 1, 2], [1, 2, 3]))
    #expect(abs(rho - 1.5 / 3.0.squareRoot()) < 1e-12)
    #expect(spearmanCorrelation([1, 1, 1], [1, 2, 3]) == nil)
  }

  /// Formats whose true accuracies are known: the search finds the best and the worst of 30
  /// within a budget of a fifth of the exhaustive grid.
  @Test func thompsonSearchFindsTheBestAndWorstFormat() {
    let accuracy = (0..<30).map { 0.45 + 0.1 * sin(Double($0)) }
      .enumerated().map { $0.offset == 17 ? 0.95 : $0.offset == 4 ? 0.1 : $0.element }
    var noise = SeededGenerator(seed: 3)
    let search = FormatSearch(formats: 30, budget: 30 * 200 / 5, batch: 10)
    let result = search.run(prior: 0.5, seed: 1) { format, _ in
      (0..<10).filter { _ in noise.nextUnit() < accuracy[format] }.count
    }
    #expect(result.best == 17)
    #expect(result.worst == 4)
    #expect(result.calls <= 1200 && result.calls >= 1190)
  }

  /// Tk-Instruct's layout is one format of the grammar: with two demonstrations it is the
  /// `def+pos` encoding tuning uses, with none the `def` encoding — token for token.
  @Test func theGrammarContainsTkInstructsLayout() throws {
    let data = InstructionData(suite: suite)
    for name in ["contains-sequence(x=a,y=c,z=d)", "swap(x=a,y=b)", "how-many-of(s1=a,s2=b,s3=c,s4=d)"] {
      let task = try #require(suite.task(named: name))
      let input = suite.testInstances(task, count: 1)[0].input
      let grammar = { (k: Int) in
        data.tokenizer.encode(
          PromptFormat.tkInstruct.prompt(
            definition: task.definition(), options: task.labels,
            demonstrations: Array(suite.examples(task).positive.prefix(k)), input: input))
      }
      let tk = { (e: InstructionEncoding) in data.tokenizer.encode(e.prompt(task, input: input, suite: suite)) }
      #expect(grammar(2) == tk(.definitionPositives), "\(name)")
      #expect(grammar(0) == tk(.definition), "\(name)")
    }
  }

  @Test func formatsAreDistinctInVocabularyAndChangeTheLabelWords() throws {
    let formats = PromptFormat.sample(60, seed: 0)
    #expect(formats.count == 60 && Set(formats).count == 60)
    #expect(formats[0] == PromptFormat.tkInstruct)
    #expect(PromptFormat.sample(60, seed: 0) == formats)
    let data = InstructionData(suite: suite)
    let task = try #require(suite.task(named: "contains-sequence(x=a,y=c,z=d)"))
    let pool = suite.demonstrationPool(task, count: 16, avoiding: [])
    #expect(Set(pool.map(\.output)) == ["yes", "no"])
    #expect(pool.filter { $0.output == "yes" }.count == 8)
    for format in formats {
      for input in ["a c d"] + PromptFormat.contentFreeInputs {
        let text = format.prompt(
          definition: task.definition(), options: task.labels, demonstrations: Array(pool.prefix(2)), input: input)
        #expect(!data.tokenizer.encode(text).contains(1), "\(format): \(text)")  // no <unk>
      }
    }
    var words = PromptFormat()
    words.verbalizer = 1
    words.enumeration = .parenthesisLetter
    words.casing = .upper
    words.separator = 4  // " ="
    let text = words.prompt(
      definition: task.definition(), options: task.labels, demonstrations: [pool[0]], input: "a b")
    #expect(text.contains("answer true or false") && !text.contains("yes"))
    #expect(text.contains("OPTIONS = (a) true (b) false"))
    #expect(text.contains("INPUT = a b .") && text.hasSuffix("OUTPUT = "))
    #expect(text.contains("OUTPUT = \(pool[0].output == "yes" ? "true" : "false") ."))
  }

  /// The teacher-forced exact match agrees with greedy decoding position by position: given a
  /// model's own greedy answer as the reference, every answer token is its greedy choice, and the
  /// `<eos>` after it is exactly when decoding stopped there.
  @Test func teacherForcedAgreementFollowsGreedyDecoding() throws {
    let data = InstructionData(suite: suite)
    let model = GPT(
      GPTConfig(layers: 1, width: 16, heads: 2, context: data.context, vocabulary: data.tokenizer.vocabulary),
      on: CPUBackend.shared, seed: 5)
    let task = try #require(suite.task(named: "swap(x=a,y=b)"))
    let probe = PromptProbe(model: model, data: data, batch: 3)
    let variant = PromptVariant(format: .tkInstruct, demonstrations: Array(suite.examples(task).positive))
    let inputs = suite.testInstances(task, count: 5).map(\.input)
    let prompts = inputs.map {
      [data.tokenizer.endOfTextID]
        + data.tokenizer.encode(
          variant.format.prompt(definition: task.definition(), demonstrations: variant.demonstrations, input: $0))
    }
    let greedy = try GreedyDecoder(model: model, batch: 2).decode(
      prompts, maxTokens: 4, stop: data.tokenizer.endOfTextID)
    let instances = zip(inputs, greedy).map { InstructionInstance(input: $0, outputs: [data.tokenizer.decode($1)]) }
    let agreement = try probe.greedyAgreement(task, instances: instances, variants: [variant])
    for (tokens, agrees) in zip(greedy, agreement) {
      #expect(agrees.count == tokens.count + 1)
      #expect(agrees.dropLast().allSatisfy { $0 }, "\(agrees)")
      #expect(agrees.last == (tokens.count < 4))  // <eos> is the greedy choice only if decoding stopped
    }
    let exact = try probe.exactMatch(task, instances: instances, variants: [variant])
    #expect(exact == [Double(greedy.filter { $0.count < 4 }.count) / 5])
    // a prompt too long for the context is reported, not evaluated (generation and classification)
    let long = PromptVariant(
      format: .tkInstruct, demonstrations: Array(repeating: variant.demonstrations[0], count: 40))
    #expect(!probe.fits(task, long, inputs: inputs))
    #expect(probe.fits(task, variant, inputs: inputs))
    let yesNo = try #require(suite.task(named: "contains-sequence(x=a,y=c,z=d)"))
    let longYesNo = PromptVariant(
      format: .tkInstruct, demonstrations: Array(repeating: suite.examples(yesNo).positive[0], count: 40))
    #expect(!probe.fits(yesNo, longYesNo, inputs: ["a b c"]))
    // a reference one token off never matches
    let wrong = instances.map { InstructionInstance(input: $0.input, outputs: [$0.outputs[0] + " a"]) }
    #expect(try probe.greedyAgreement(task, instances: wrong, variants: [variant]).allSatisfy { $0.contains(false) })
  }
}
