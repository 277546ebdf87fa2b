import WorkbenchLM
import WorkbenchNN
import WorkbenchRandom
import WorkbenchTensor

/// Turns the suite into token rows: pretraining text (definitions and inputs, no answers) and
/// tuning examples (prompt, answer, `<eos>`) whose loss covers the answer only.
public struct InstructionData: Sendable {
  public let suite: TaskSuite
  public let tokenizer: WordTokenizer
  /// Tokens per row: the longest prompt of any task in any encoding, with its answer, fits.
  public let context: Int

  public init(suite: TaskSuite) {
    self.suite = suite
    tokenizer = WordTokenizer(suite: suite)
    var longest = 0
    for tier in TaskSuite.Tier.allCases {
      for task in suite.sample(tier, perFamily: 4) {
        for instance in suite.testInstances(task, count: 4) {
          for encoding in InstructionEncoding.allCases {
            let prompt = encoding.prompt(task, input: instance.input, suite: suite)
            longest = max(longest, tokenizer.encode(prompt + instance.outputs[0]).count + 2)
          }
        }
      }
    }
    // At least 192: room for eight demonstrations of a short task in any prompt format.
    context = max(Self.minimumContext, (longest + 15) / 16 * 16)
  }

  /// The shortest context of the suite's models.
  public static let minimumContext = 192

  /// The prompt's tokens for `input` of `task`, after an `<eos>` that marks where a text begins
  /// (examples are packed one after another in training rows).
  public func prompt(_ task: InstructionTask, input: String, encoding: InstructionEncoding) -> [Int32] {
    [tokenizer.endOfTextID] + tokenizer.encode(encoding.prompt(task, input: input, suite: suite))
  }

  /// One example as an unpadded sequence: inputs and next-token targets (−1 but on the answer and
  /// its `<eos>`), for packing several into a row.
  public func sequence(_ task: InstructionTask, instance: InstructionInstance, encoding: InstructionEncoding)
    -> (tokens: [Int32], targets: [Int32], answerTokens: Int)
  {
    sequence(prompt: prompt(task, input: instance.input, encoding: encoding), answer: instance.outputs[0])
  }

  /// The tokens of a prompt in `format` (after `<eos>`, like every prompt): the definition in
  /// wording `paraphrase`, the options of a classification task, `demonstrations`, and `input`.
  public func prompt(
    _ task: InstructionTask, format: PromptFormat, paraphrase: Int = 0, demonstrations: [InstructionExample],
    input: String
  ) -> [Int32] {
    let text = format.prompt(
      definition: task.definition(paraphrase), options: task.labels, demonstrations: demonstrations, input: input)
    return [tokenizer.endOfTextID] + tokenizer.encode(text)
  }

  /// One example in a prompt format of the grammar (format-augmented tuning): `k` of the task's
  /// demonstrations, the options listed when the format lists them, the answer verbalised.
  public func sequence(
    _ task: InstructionTask, instance: InstructionInstance, format: PromptFormat, demonstrations k: Int
  ) -> (tokens: [Int32], targets: [Int32], answerTokens: Int) {
    let prompt = prompt(
      task, format: format, demonstrations: Array(suite.examples(task).positive.prefix(k)), input: instance.input)
    return sequence(prompt: prompt, answer: format.verbalize(instance.outputs[0]))
  }

  func sequence(prompt: [Int32], answer text: String) -> (tokens: [Int32], targets: [Int32], answerTokens: Int) {
    let answer = tokenizer.encode(text) + [tokenizer.endOfTextID]
    let sequence = prompt + answer
    let answerStart = prompt.count
    let tokens = Array(sequence.dropLast())
    let targets = (0..<tokens.count).map { i in i + 1 >= answerStart ? sequence[i + 1] : -1 }
    return (tokens, targets, answer.count)
  }

  /// One pretraining row: the suite's language and the general knowledge its tasks build on,
  /// without a single task's answer — text one after another, every token a target. Like a
  /// real corpus it holds text that repeats itself (what teaches a language model to copy:
  /// induction heads), numbered lists and counting ("1 c , 2 f , 3 a"), the order of letters and
  /// numbers, sums ("3 and 4 make 7 ."), and definitions and inputs of tasks with no output.
  public func pretrainingRow(_ g: inout SeededGenerator) -> (tokens: [Int32], targets: [Int32]) {
    var sequence: [Int32] = []
    while sequence.count < context + 1 {
      sequence += tokenizer.encode(PretrainingText.passage(&g, suite: suite) + "\n\n")
    }
    return (Array(sequence[0..<context]), Array(sequence[1...context]))
  }
}

/// The kinds of text of the suite's pretraining corpus.
public enum PretrainingText: CaseIterable, Sendable {
  case repetition, enumeration, run, sum, task

  /// How often each kind occurs, out of 20.
  var weight: Int {
    switch self {
    case .repetition: 8
    case .enumeration, .run, .sum: 2
    case .task: 6
    }
  }

  /// One passage, its kind drawn by weight.
  public static func passage(_ g: inout SeededGenerator, suite: TaskSuite) -> String {
    var draw = g.int(0...(allCases.map(\.weight).reduce(0, +) - 1))
    let kind = allCases.first {
      draw -= $0.weight; return draw < 0
    }!
    return kind.text(&g, suite: suite)
  }

  func text(_ g: inout SeededGenerator, suite: TaskSuite) -> String {
    switch self {
    case .repetition:
      let words = g.letters(3...9) + (g.int(0...1) == 0 ? [] : (0..<g.int(1...3)).map { _ in g.pick(Lexicon.digits) })
      let text = words.joined(separator: " ") + " ."
      return text + "\n" + text
    case .enumeration:
      let items = g.letters(2...7)
      return items.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: " , ") + " ."
    case .run:
      // A stretch of the alphabet or of the numbers, forwards or backwards.
      let pool = g.int(0...1) == 0 ? Lexicon.letters : Lexicon.digits
      let length = g.int(3...min(8, pool.count))
      let start = g.int(0...(pool.count - length))
      let run = pool[start..<(start + length)]
      return (g.int(0...1) == 0 ? Array(run) : run.reversed()).joined(separator: " ") + " ."
    case .sum:
      let a = g.int(0...9)
      let b = g.int(0...9)
      return "\(a) and \(b) make \(a + b) ."
    case .task:
      let family = g.pick(suite.families)
      let task = family.task(g.int(0...(family.space.count - 1)))
      let instance = task.instance(&g)
      return "Definition: " + punctuated(task.definition(g.int(0...(task.family.definitions.count - 1))))
        + "\n\nInput: " + punctuated(instance.input)
    }
  }
}

/// Rows of `context` tokens packed from the examples `next` makes, one after another (each
/// starting with its own prompt; one that does not fit starts the next row, and one longer than
/// a row is cut), padded with `padding`: each call gives a row, its targets (−1 but on answers)
/// and how many answer tokens it holds.
func packedRows(
  context: Int, padding: Int32, next: @escaping () -> (tokens: [Int32], targets: [Int32], answerTokens: Int)
) -> () -> (tokens: [Int32], targets: [Int32], weight: Int) {
  var pending: (tokens: [Int32], targets: [Int32], answerTokens: Int)?
  return {
    var tokens: [Int32] = []
    var targets: [Int32] = []
    var weight = 0
    while true {
      let example = pending ?? next()
      pending = nil
      if !tokens.isEmpty && tokens.count + example.tokens.count > context {
        pending = example
        break
      }
      tokens += example.tokens.prefix(context - tokens.count)
      targets += example.targets.prefix(context - targets.count)
      weight += example.answerTokens
      if tokens.count >= context { break }
    }
    let fill = context - tokens.count
    tokens += [Int32](repeating: padding, count: fill)
    targets += [Int32](repeating: -1, count: fill)
    return (tokens, targets, weight)
  }
}

/// Training rows made one at a time (pretraining text, packed tuning examples), as a trainer's
/// batch source: the loss is averaged over the answer tokens the rows hold.
struct PackedRows: BatchSource {
  let row: () -> (tokens: [Int32], targets: [Int32], weight: Int)

  func next(batch: Int, context: Int) -> TrainingBatch {
    var rows = TrainingBatch(tokens: [], targets: [], normalizer: 0)
    rows.tokens.reserveCapacity(batch * context)
    rows.targets.reserveCapacity(batch * context)
    var weight = 0
    for _ in 0..<batch {
      let r = row()
      rows.tokens += r.tokens
      rows.targets += r.targets
      weight += r.weight
    }
    rows.normalizer = max(1, weight)
    return rows
  }

  /// Instruction runs are not resumed part-way: nothing to store.
  var rawState: UInt64 { 0 }
}

/// Pretraining and instruction tuning of a GPT on the suite.
public final class InstructionTrainer {
  public let model: GPT
  public let data: InstructionData

  public init(model: GPT, data: InstructionData) {
    self.model = model
    self.data = data
  }

  /// Runs `steps` AdamW steps through `Trainer` on rows from `row`; `observe(step, loss)` sees
  /// the mean loss of every `every` steps (reading it synchronises the device) and may throw to stop.
  func train(
    steps: Int, batch: Int, optimizer: AdamW, every: Int,
    row: @escaping () -> (tokens: [Int32], targets: [Int32], weight: Int),
    observe: (Int, Double) throws -> Void
  ) throws {
    let trainer = Trainer(
      model: model, batches: PackedRows(row: row),
      config: TrainingConfig(batch: batch, steps: steps, optimizer: optimizer, logEvery: every))
    _ = try trainer.run { event in
      if case .trainLoss(let step, let loss, _) = event { try observe(step, loss) }
    }
  }

  /// Language modelling on the suite's text without answers.
  public func pretrain(
    steps: Int, batch: Int, learningRate: Double, seed: UInt64, observe: (Int, Double) throws -> Void
  ) throws {
    var g = SeededGenerator(suiteSeed: seed ^ 0x9E7_2A1)
    let optimizer = AdamW(schedule: .cosine(peak: learningRate, warmup: min(50, steps / 10)))
    let data = data
    try train(
      steps: steps, batch: batch, optimizer: optimizer, every: 25,
      row: {
        let r = data.pretrainingRow(&g)
        return (r.tokens, r.targets, data.context)
      }, observe: observe)
  }

  /// Tuning on `tasks`: rows of examples packed one after another, each a uniformly drawn task,
  /// a fresh instance (never one of the task's first `testInstances` test inputs when it has
  /// others) and an encoding of `encodings` — or, with `formats` (format augmentation), half of
  /// the examples in one of those formats with 0–2 demonstrations; `validate(step)` runs every
  /// `validateEvery` steps and after the last.
  public func finetune(
    tasks: [InstructionTask], encodings: [InstructionEncoding], steps: Int, batch: Int, learningRate: Double,
    warmup: Int, seed: UInt64, testInstances: Int, instancesPerTask: Int = 0, formats: [PromptFormat] = [],
    validateEvery: Int = 0, validate: (Int) throws -> Void = { _ in }, observe: (Int, Double) throws -> Void
  ) throws {
    guard !tasks.isEmpty, steps > 0 else { return }
    let rows = tuningRows(
      tasks: tasks, encodings: encodings, seed: seed, testInstances: testInstances, instancesPerTask: instancesPerTask,
      formats: formats)
    let optimizer = AdamW(schedule: .cosine(peak: learningRate, warmup: warmup))
    var validated = 0
    try train(
      steps: steps, batch: batch, optimizer: optimizer, every: validateEvery > 0 ? min(25, validateEvery) : 25,
      row: rows,
      observe: { step, loss in
        try observe(step, loss)
        guard validateEvery > 0 else { return }
        if step / validateEvery > validated || step == steps {
          validated = step / validateEvery
          try validate(step)
        }
      })
  }

  /// The source of tuning rows `finetune` draws from: each call gives the next row of `context`
  /// tokens (examples packed one after another, each starting with its own prompt; one that does
  /// not fit starts the next row), its targets (−1 but on answers) and its answer-token count.
  public func tuningRows(
    tasks: [InstructionTask], encodings: [InstructionEncoding], seed: UInt64, testInstances: Int,
    instancesPerTask: Int = 0, formats: [PromptFormat] = []
  ) -> () -> (tokens: [Int32], targets: [Int32], weight: Int) {
    var g = SeededGenerator(suiteSeed: seed ^ 0xF1_7E7)
    let data = data
    let avoid = Dictionary(
      uniqueKeysWithValues: tasks.map {
        ($0.name, Set(data.suite.testInstances($0, count: testInstances).map(\.input)))
      })
    // With a cap, each task draws from a fixed pool of that many instances.
    var pools: [String: [InstructionInstance]] = [:]
    if instancesPerTask > 0 {
      for task in tasks {
        pools[task.name] = (0..<instancesPerTask).map { _ in
          data.suite.trainingInstance(task, avoiding: avoid[task.name]!, &g)
        }
      }
    }
    return packedRows(context: data.context, padding: data.tokenizer.endOfTextID) {
      let task = g.pick(tasks)
      let instance =
        pools[task.name].map { g.pick($0) } ?? data.suite.trainingInstance(task, avoiding: avoid[task.name]!, &g)
      if !formats.isEmpty && g.int(0...1) == 0 {
        return data.sequence(task, instance: instance, format: g.pick(formats), demonstrations: g.int(0...2))
      }
      return data.sequence(task, instance: instance, encoding: g.pick(encodings))
    }
  }
}

/// One scored answer.
public struct InstructionPrediction: Sendable {
  public let task: InstructionTask
  public let input: String
  public let prediction: String
  public let references: [String]
  public let exactMatch: Double
  public let rougeL: Double

  /// The score of the task's own metric (exact match or ROUGE-L), 0…1.
  public var score: Double { task.metric == .exactMatch ? exactMatch : rougeL }
}

/// Greedy answers to the test instances of tasks, scored like SNI, and the heuristic baselines.
public struct InstructionEvaluator {
  public let data: InstructionData

  public init(data: InstructionData) { self.data = data }

  /// The model's answers to `instances` test instances of each task.
  public func evaluate(
    _ model: GPT, tasks: [InstructionTask], instances: Int, encoding: InstructionEncoding, maxTokens: Int
  ) throws -> [InstructionPrediction] {
    var items: [(InstructionTask, InstructionInstance)] = []
    for task in tasks {
      for instance in data.suite.testInstances(task, count: instances) { items.append((task, instance)) }
    }
    let prompts = items.map { data.prompt($0.0, input: $0.1.input, encoding: encoding) }
    let outputs = try GreedyDecoder(model: model).decode(
      prompts, maxTokens: maxTokens, stop: data.tokenizer.endOfTextID)
    return zip(items, outputs).map { item, output in
      let text = data.tokenizer.decode(output)
      return InstructionPrediction(
        task: item.0, input: item.1.input, prediction: text, references: item.1.outputs,
        exactMatch: InstructionMetrics.exactMatch(prediction: text, references: item.1.outputs),
        rougeL: InstructionMetrics.rougeL(prediction: text, references: item.1.outputs))
    }
  }

  /// SNI's heuristic baselines, scored by the same metrics — copy the instance's input, copy the
  /// first demonstration's output, and (classification tasks) answer the task's most frequent
  /// test label — and, given the instructions a model was tuned on, the **nearest seen
  /// instruction**: the tuned instruction of the same family whose binding is closest, executed
  /// exactly (the best a model can do that knows its tuned tasks perfectly but ignores an unseen
  /// binding; tasks with no tuned instruction of their family fall back to copying the input).
  public func baselines(tasks: [InstructionTask], instances: Int, tuned: [InstructionTask]? = nil)
    -> [String: [InstructionPrediction]]
  {
    var result: [String: [InstructionPrediction]] = [:]
    for task in tasks {
      let test = data.suite.testInstances(task, count: instances)
      let demo = data.suite.examples(task).positive[0].output
      var counts: [String: Int] = [:]
      for instance in test { counts[instance.outputs[0], default: 0] += 1 }
      let majority = counts.max { ($0.value, $1.key) < ($1.value, $0.key) }?.key ?? demo
      var guesses: [(String, (InstructionInstance) -> String)] = [
        ("copy-input", { $0.input }), ("copy-demo-output", { _ in demo }),
        ("majority-label", { _ in task.labels == nil ? demo : majority }),
      ]
      if let tuned {
        let nearest = data.suite.nearest(to: task, among: tuned)
        guesses.append(("nearest-seen", { instance in nearest?.answer(to: instance.input) ?? instance.input }))
      }
      for (name, guess) in guesses {
        for instance in test {
          let text = guess(instance)
          result[name, default: []].append(
            InstructionPrediction(
              task: task, input: instance.input, prediction: text, references: instance.outputs,
              exactMatch: InstructionMetrics.exactMatch(prediction: text, references: instance.outputs),
              rougeL: InstructionMetrics.rougeL(prediction: text, references: instance.outputs)))
        }
      }
    }
    return result
  }
}
