import Foundation
import WorkbenchKit
import WorkbenchLM
import WorkbenchNN
import WorkbenchRandom
import WorkbenchTensor

/// How the text of a Super-NaturalInstructions experiment becomes tokens (`tokenizer:`).
public struct TokenizerSettings: ConfigSection, Equatable, Hashable {
  /// `bpe` (byte-level BPE trained on the training tasks) or `byte` (bytes alone).
  public var kind = "bpe"
  /// The BPE vocabulary: 257 (bytes and `<eos>`) plus the merges.
  public var vocab = 2048

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .key("kind", \.kind, type: "bpe | byte", "with sni: byte-level BPE trained on the training tasks"),
      .key("vocab", \.vocab, "with sni: the BPE vocabulary (257 + merges)"),
    ]
  }

  /// Text that trains the tokenizer: at most this many bytes of the training tasks'.
  public static let trainingBytes = 4 << 20
}

/// Super-NaturalInstructions as token rows: prompts in Tk-Instruct's layouts (truncated in the
/// middle to fit the context), answers, pretraining text.
public struct SNIData: Sendable {
  public let dataset: SNIDataset
  public let tokenizer: BPETokenizer
  let encoder: CachingBPEEncoder
  /// Tokens per training row.
  public let context: Int
  /// Longest answer, in tokens (longer references are cut in training).
  public let maxAnswerTokens: Int

  public init(dataset: SNIDataset, tokenizer: BPETokenizer, context: Int, maxAnswerTokens: Int) {
    self.dataset = dataset
    self.tokenizer = tokenizer
    encoder = CachingBPEEncoder(tokenizer)
    self.context = context
    self.maxAnswerTokens = maxAnswerTokens
  }

  /// The text a tokenizer is trained on: every training task's definition, demonstrations and
  /// kept instances, in split order, up to `TokenizerSettings.trainingBytes`.
  public static func tokenizerText(_ dataset: SNIDataset) -> [String] {
    var texts: [String] = []
    var bytes = 0
    outer: for task in dataset.train {
      var parts = [task.definition]
      for e in task.positives + task.negatives { parts += [e.input, e.output] }
      for i in task.instances { parts += [i.input] + i.outputs.prefix(1) }
      for part in parts {
        texts.append(part)
        bytes += part.utf8.count
        if bytes >= TokenizerSettings.trainingBytes { break outer }
      }
    }
    return texts
  }

  /// The prompt for `input` of `task` in `encoding`, after `<eos>`; a prompt longer than the
  /// context leaves room for the answer by dropping tokens from its middle (the start of the
  /// definition and the end — the instance's input and "Output:" — stay).
  public func prompt(_ task: SNITask, input: String, encoding: InstructionEncoding) -> [Int32] {
    let text = encoding.prompt(
      definition: task.definition, positives: task.positives, negatives: task.negatives, input: input)
    return Self.fit([tokenizer.endOfTextID] + encoder.encode(text), budget: context - maxAnswerTokens - 1)
  }

  /// `tokens` cut to `budget` by dropping tokens from the middle: the first quarter of the budget
  /// keeps the prompt's start, the rest its end (an input longer than that loses its start too).
  public static func fit(_ tokens: [Int32], budget: Int) -> [Int32] {
    guard tokens.count > budget else { return tokens }
    let head = budget / 4
    return Array(tokens.prefix(head)) + Array(tokens.suffix(budget - head))
  }

  /// One tuning example: the prompt, the first reference (cut to `maxAnswerTokens`) and `<eos>`;
  /// targets −1 but on the answer.
  public func sequence(_ task: SNITask, instance: SNIInstance, encoding: InstructionEncoding)
    -> (tokens: [Int32], targets: [Int32], answerTokens: Int)
  {
    let prompt = prompt(task, input: instance.input, encoding: encoding)
    let answer = Array(encoder.encode(instance.outputs[0]).prefix(maxAnswerTokens)) + [tokenizer.endOfTextID]
    let sequence = prompt + answer
    let tokens = Array(sequence.dropLast())
    let targets = (0..<tokens.count).map { i in i + 1 >= prompt.count ? sequence[i + 1] : -1 }
    return (tokens, targets, answer.count)
  }

  /// One pretraining row: definitions and inputs of the training tasks (no outputs), one after
  /// another, every token a target.
  public func pretrainingRow(_ g: inout SeededGenerator) -> (tokens: [Int32], targets: [Int32]) {
    var sequence: [Int32] = []
    while sequence.count < context + 1 {
      let task = g.pick(dataset.train)
      let instance = g.pick(task.instances)
      sequence +=
        [tokenizer.endOfTextID]
        + encoder.encode("Definition: " + punctuated(task.definition) + "\n\nInput: " + punctuated(instance.input))
    }
    return (Array(sequence[0..<context]), Array(sequence[1...context]))
  }

  /// Tuning rows over `tasks`: packed examples, each a uniformly drawn task, one of its kept
  /// instances and an encoding of `encodings`.
  func tuningRows(tasks: [SNITask], encodings: [InstructionEncoding], seed: UInt64)
    -> () -> (tokens: [Int32], targets: [Int32], weight: Int)
  {
    var g = SeededGenerator(suiteSeed: seed ^ 0x5A1_7E7)
    return packedRows(context: context, padding: tokenizer.endOfTextID) {
      let task = g.pick(tasks)
      return self.sequence(task, instance: g.pick(task.instances), encoding: g.pick(encodings))
    }
  }

  /// Runs `steps` AdamW steps on rows from `row`, reporting the mean loss every 25 steps.
  static func train(
    _ model: GPT, steps: Int, batch: Int, optimizer: AdamW,
    row: @escaping () -> (tokens: [Int32], targets: [Int32], weight: Int), observe: (Int, Double) throws -> Void
  ) throws {
    let trainer = Trainer(
      model: model, batches: PackedRows(row: row),
      config: TrainingConfig(batch: batch, steps: steps, optimizer: optimizer, logEvery: 25))
    _ = try trainer.run { event in
      if case .trainLoss(let step, let loss, _) = event { try observe(step, loss) }
    }
  }

  /// Language modelling on the training tasks' definitions and inputs.
  public func pretrain(
    _ model: GPT, steps: Int, batch: Int, learningRate: Double, seed: UInt64, observe: (Int, Double) throws -> Void
  ) throws {
    var g = SeededGenerator(suiteSeed: seed ^ 0x5E1_2A1)
    let data = self
    try Self.train(
      model, steps: steps, batch: batch,
      optimizer: AdamW(schedule: .cosine(peak: learningRate, warmup: min(50, steps / 10))),
      row: {
        let r = data.pretrainingRow(&g)
        return (r.tokens, r.targets, data.context)
      }, observe: observe)
  }

  /// Tuning on `tasks` (loss on answers only).
  public func finetune(
    _ model: GPT, tasks: [SNITask], encodings: [InstructionEncoding], steps: Int, batch: Int, learningRate: Double,
    warmup: Int, seed: UInt64, observe: (Int, Double) throws -> Void
  ) throws {
    guard !tasks.isEmpty, steps > 0 else { return }
    try Self.train(
      model, steps: steps, batch: batch, optimizer: AdamW(schedule: .cosine(peak: learningRate, warmup: warmup)),
      row: tuningRows(tasks: tasks, encodings: encodings, seed: seed), observe: observe)
  }

  /// One answer to a test instance, with its reference line.
  public struct Answer: Sendable {
    public let task: SNITask
    public let instance: SNIInstance
    public let prediction: String
  }

  /// Greedy answers to every kept instance of `tasks`.
  public func answer(_ model: GPT, tasks: [SNITask], encoding: InstructionEncoding) throws -> [Answer] {
    let items = tasks.flatMap { task in task.instances.map { (task, $0) } }
    let prompts = items.map { prompt($0.0, input: $0.1.input, encoding: encoding) }
    let outputs = try GreedyDecoder(model: model).decode(
      prompts, maxTokens: maxAnswerTokens, stop: tokenizer.endOfTextID)
    return zip(items, outputs).map { item, output in
      Answer(
        task: item.0, instance: item.1,
        prediction: tokenizer.decode(output).trimmingCharacters(in: .whitespacesAndNewlines))
    }
  }

  /// The official reference lines of the test tasks' kept instances: English tasks in the
  /// default track, others (with `languages: all`) in the xlingual one, as the official
  /// reference file puts them.
  public static func references(_ tasks: [SNITask]) -> [SNIReference] {
    tasks.flatMap { task in
      task.instances.map {
        SNIReference(
          id: $0.id, references: $0.outputs, taskID: task.name, category: task.category,
          track: task.isEnglish ? "default" : "xlingual")
      }
    }
  }

  /// SNI's heuristic baselines: copy the instance's input; copy the first demonstration's output.
  public static func baselines(_ tasks: [SNITask]) -> [(name: String, predictions: SNIPredictions)] {
    var copyInput = SNIPredictions()
    var copyDemo = SNIPredictions()
    for task in tasks {
      for i in task.instances {
        copyInput[id: i.id] = i.input
        copyDemo[id: i.id] = task.positives.first?.output ?? ""
      }
    }
    return [("copy-input", copyInput), ("copy-demo-output", copyDemo)]
  }
}
