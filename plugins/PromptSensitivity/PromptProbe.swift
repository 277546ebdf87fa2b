import Foundation
import WorkbenchInstructions
import WorkbenchLM
import WorkbenchRandom
import WorkbenchTensor

/// One way to prompt a task: a format, a definition wording and demonstrations in order.
public struct PromptVariant: Sendable {
  public var format: PromptFormat
  public var paraphrase: Int
  public var demonstrations: [InstructionExample]

  public init(format: PromptFormat, paraphrase: Int = 0, demonstrations: [InstructionExample]) {
    self.format = format
    self.paraphrase = paraphrase
    self.demonstrations = demonstrations
  }
}

/// A classification task's accuracy under one prompt variant, scored as lm-evaluation-harness
/// scores multiple choice: the label options ranked by log-likelihood (`accuracy`), by
/// log-likelihood per character (`normalizedAccuracy`, its `acc_norm`), and after contextual
/// calibration (`calibratedAccuracy`, Zhao et al. 2021).
public struct LabelAccuracy: Sendable, Equatable {
  public var accuracy: Double
  public var normalizedAccuracy: Double
  public var calibratedAccuracy: Double
}

/// Contextual calibration (Zhao et al. 2021): the label probabilities of an input, renormalised,
/// divided label-wise by those of content-free inputs (`N/A`, empty, `[MASK]`, averaged after
/// renormalising each); the prediction is the largest quotient.
public enum ContextualCalibration {
  /// Label probabilities scaled to sum to one.
  public static func normalized(_ p: [Double]) -> [Double] {
    let total = p.reduce(0, +)
    return total > 0 ? p.map { $0 / total } : p.map { _ in 1 / Double(p.count) }
  }

  /// The mean of the renormalised content-free label probabilities (`p_cf`).
  public static func contentFree(_ probabilities: [[Double]]) -> [Double] {
    let rows = probabilities.map(normalized)
    return (0..<rows[0].count).map { i in rows.map { $0[i] }.reduce(0, +) / Double(rows.count) }
  }

  /// The calibrated label: argmax of p(y | x) / p_cf(y).
  public static func predict(_ probabilities: [Double], contentFree: [Double]) -> Int {
    let p = normalized(probabilities)
    let scores = zip(p, contentFree).map { $0 / max($1, 1e-12) }
    return scores.indices.max { scores[$0] < scores[$1] }!
  }
}

/// Evaluates a model on classification tasks under prompt variants, batching every prompt.
public struct PromptProbe {
  public let model: GPT
  public let data: InstructionData
  public let batch: Int

  public init(model: GPT, data: InstructionData, batch: Int = 64) {
    self.model = model
    self.data = data
    self.batch = batch
  }

  /// The prompt's tokens (after `<eos>`, as in training), or nil when it does not fit the context.
  func tokens(_ task: InstructionTask, _ variant: PromptVariant, input: String) -> [Int32]? {
    let tokens = data.prompt(
      task, format: variant.format, paraphrase: variant.paraphrase, demonstrations: variant.demonstrations,
      input: input)
    return tokens.count < data.context ? tokens : nil
  }

  /// Whether every prompt of `variant` fits the model's context (with room for the answer of a
  /// generation task).
  public func fits(_ task: InstructionTask, _ variant: PromptVariant, inputs: [String]) -> Bool {
    if task.labels == nil {
      return inputs.allSatisfy { input in
        tokens(task, variant, input: input).map { $0.count + Self.answerRoom <= data.context } ?? false
      }
    }
    return (inputs + PromptFormat.contentFreeInputs).allSatisfy { tokens(task, variant, input: $0) != nil }
  }

  /// A generation task's exact match (mean over `instances`, 0…1) under each variant, from one
  /// teacher-forced pass per instance: greedy decoding reproduces the reference, token for token,
  /// and then stops exactly when the most likely next token is the reference's at every position
  /// of the reference and its `<eos>` — the same number as decoding, from one forward pass.
  public func exactMatch(
    _ task: InstructionTask, instances: [InstructionInstance], variants: [PromptVariant]
  ) throws -> [Double] {
    let agreement = try greedyAgreement(task, instances: instances, variants: variants)
    return variants.indices.map { v in
      Double(agreement[(v * instances.count)..<((v + 1) * instances.count)].filter { !$0.contains(false) }.count)
        / Double(instances.count)
    }
  }

  /// For each variant and instance (variant-major), whether greedy decoding would choose the
  /// reference's token at each position of the reference followed by `<eos>`, given the
  /// reference before it.
  public func greedyAgreement(
    _ task: InstructionTask, instances: [InstructionInstance], variants: [PromptVariant]
  ) throws -> [[Bool]] {
    var rows: [(tokens: [Int32], start: Int, answer: [Int32])] = []
    for variant in variants {
      for instance in instances {
        let prompt = tokens(task, variant, input: instance.input)!
        let answer = data.tokenizer.encode(instance.outputs[0]) + [data.tokenizer.endOfTextID]
        rows.append((prompt + answer.dropLast(), prompt.count - 1, answer))
      }
    }
    var result: [[Bool]] = []
    try forEachBatch(rows.map(\.tokens)) { first, logits in
      for (r, row) in rows[first..<(first + logits.rows)].enumerated() {
        result.append(
          row.answer.enumerated().map { i, token in
            let scores = logits.at(row: r, position: row.start + i)
            return scores.indices.max { scores[$0] < scores[$1] }! - scores.startIndex == Int(token)
          })
      }
    }
    return result
  }

  /// Longest answer of a generation task, in words.
  public static let answerRoom = 10

  /// A generation task's exact match and ROUGE-L (means over `instances`, 0…1) under each variant,
  /// by greedy decoding.
  public func generate(
    _ task: InstructionTask, instances: [InstructionInstance], variants: [PromptVariant]
  ) throws -> [(exactMatch: Double, rougeL: Double)] {
    let prompts = variants.flatMap { variant in instances.map { tokens(task, variant, input: $0.input)! } }
    let outputs = try GreedyDecoder(model: model, batch: batch).decode(
      prompts, maxTokens: Self.answerRoom, stop: data.tokenizer.endOfTextID)
    return variants.indices.map { v in
      var em = 0.0
      var rouge = 0.0
      for (i, instance) in instances.enumerated() {
        let text = data.tokenizer.decode(outputs[v * instances.count + i])
        em += InstructionMetrics.exactMatch(prediction: text, references: instance.outputs)
        rouge += InstructionMetrics.rougeL(prediction: text, references: instance.outputs)
      }
      return (em / Double(instances.count), rouge / Double(instances.count))
    }
  }

  /// Log-probabilities of the next token being each of `options` after each prompt.
  func nextTokenLogProbabilities(_ prompts: [[Int32]], options: [Int32]) throws -> [[Double]] {
    var result: [[Double]] = []
    result.reserveCapacity(prompts.count)
    try forEachBatch(prompts) { first, logits in
      for (r, row) in prompts[first..<(first + logits.rows)].enumerated() {
        let scores = logits.at(row: r, position: row.count - 1)
        let top = Double(scores.max()!)
        let logSum = top + log(scores.reduce(0.0) { $0 + exp(Double($1) - top) })
        result.append(options.map { Double(scores[scores.startIndex + Int($0)]) - logSum })
      }
    }
    return result
  }

  /// The logits of one batch: `rows` sequences padded to `width`, `vocabulary` scores per position.
  struct BatchLogits {
    let values: [Float]
    let rows: Int
    let width: Int
    let vocabulary: Int

    /// The scores after position `position` of row `row`.
    func at(row: Int, position: Int) -> ArraySlice<Float> {
      let offset = (row * width + position) * vocabulary
      return values[offset..<(offset + vocabulary)]
    }
  }

  /// Runs `sequences` through the model `batch` at a time (each padded after its end, which
  /// causal attention keeps from affecting it) and hands over each batch's logits with the index
  /// of its first sequence.
  func forEachBatch(_ sequences: [[Int32]], _ body: (Int, BatchLogits) throws -> Void) throws {
    let backend = model.arena.values.backend
    for start in stride(from: 0, to: sequences.count, by: batch) {
      let rows = sequences[start..<min(start + batch, sequences.count)]
      let width = rows.map(\.count).max()!
      var ids = [Int32](repeating: data.tokenizer.endOfTextID, count: rows.count * width)
      for (r, row) in rows.enumerated() {
        for (t, token) in row.enumerated() { ids[r * width + t] = token }
      }
      let logits = Tape.withoutRecording {
        model.logits(Tensor(ids: ids, shape: [rows.count, width], on: backend))
      }.toArray()
      try backend.synchronize()
      try body(start, BatchLogits(values: logits, rows: rows.count, width: width, vocabulary: model.config.vocabulary))
    }
  }

  /// Accuracy of `task` on `instances` under each of `variants`. Label words are single tokens.
  /// - Precondition: every variant fits (`fits`).
  public func evaluate(
    _ task: InstructionTask, instances: [InstructionInstance], variants: [PromptVariant]
  ) throws -> [LabelAccuracy] {
    guard let labels = task.labels else { preconditionFailure("\(task.name) is not a classification task") }
    var prompts: [[Int32]] = []
    for variant in variants {
      for input in instances.map(\.input) + PromptFormat.contentFreeInputs {
        prompts.append(tokens(task, variant, input: input)!)
      }
    }
    let perVariant = instances.count + PromptFormat.contentFreeInputs.count
    // Every variant's label words, scored after every prompt in one batched pass.
    let words = variants.map { variant in labels.map(variant.format.verbalize) }
    let columns = Array(Set(words.flatMap { $0 })).sorted()
    let all = try nextTokenLogProbabilities(prompts, options: columns.map { data.tokenizer.encode($0)[0] })
    return variants.indices.map { v in
      let labelWords = words[v]
      let index = labelWords.map { columns.firstIndex(of: $0)! }
      let logProbabilities = all[(v * perVariant)..<((v + 1) * perVariant)].map { row in index.map { row[$0] } }
      let answered = logProbabilities.prefix(instances.count)
      let contentFree = ContextualCalibration.contentFree(
        logProbabilities.suffix(PromptFormat.contentFreeInputs.count).map { $0.map(exp) })
      var correct = (plain: 0, normalized: 0, calibrated: 0)
      for (instance, scores) in zip(instances, answered) {
        let gold = labels.firstIndex(of: instance.outputs[0])!
        let perCharacter = zip(scores, labelWords).map { $0 / Double($1.count) }
        if scores.indices.max(by: { scores[$0] < scores[$1] }) == gold { correct.plain += 1 }
        if perCharacter.indices.max(by: { perCharacter[$0] < perCharacter[$1] }) == gold { correct.normalized += 1 }
        if ContextualCalibration.predict(scores.map(exp), contentFree: contentFree) == gold { correct.calibrated += 1 }
      }
      let n = Double(instances.count)
      return LabelAccuracy(
        accuracy: Double(correct.plain) / n, normalizedAccuracy: Double(correct.normalized) / n,
        calibratedAccuracy: Double(correct.calibrated) / n)
    }
  }
}

/// FormatSpread's search for the best and the worst of many formats within a budget of model
/// calls (Sclar et al. 2023): Thompson sampling over Beta posteriors of each format's accuracy,
/// centred a priori on the original format's accuracy; a pull evaluates a batch of instances under
/// one format. The first half of the budget looks for the best format, the second for the worst.
public struct FormatSearch {
  public struct Result: Sendable, Equatable {
    public var best: Int
    public var worst: Int
    /// Instances evaluated (model calls).
    public var calls: Int
  }

  public let formats: Int
  public let budget: Int
  public let batch: Int
  /// How many observations the prior is worth.
  public let priorStrength: Double

  public init(formats: Int, budget: Int, batch: Int, priorStrength: Double = 5) {
    self.formats = formats
    self.budget = budget
    self.batch = batch
    self.priorStrength = priorStrength
  }

  /// `pull(format, round)` evaluates the `round`-th batch of `format` and returns how many of its
  /// `batch` answers were right; `prior` is the original format's accuracy.
  public func run(prior: Double, seed: UInt64, pull: (Int, Int) throws -> Int) rethrows -> Result {
    var g = SeededGenerator(seed: seed)
    let p = min(max(prior, 0.02), 0.98)
    var alpha = [Double](repeating: priorStrength * p, count: formats)
    var beta = [Double](repeating: priorStrength * (1 - p), count: formats)
    var rounds = [Int](repeating: 0, count: formats)
    var calls = 0
    var result = Result(best: 0, worst: 0, calls: 0)
    for phase in [true, false] {
      let phaseBudget = phase ? budget / 2 : budget - calls
      var spent = 0
      while spent + batch <= phaseBudget {
        let draws = (0..<formats).map { g.nextBeta(alpha[$0], beta[$0]) }
        let f = phase ? draws.indices.max { draws[$0] < draws[$1] }! : draws.indices.min { draws[$0] < draws[$1] }!
        let right = try pull(f, rounds[f])
        rounds[f] += 1
        alpha[f] += Double(right)
        beta[f] += Double(batch - right)
        spent += batch
      }
      calls += spent
      let means = (0..<formats).map { alpha[$0] / (alpha[$0] + beta[$0]) }
      if phase {
        result.best = means.indices.max { means[$0] < means[$1] }!
      } else {
        result.worst = means.indices.min { means[$0] < means[$1] }!
      }
    }
    result.calls = calls
    return result
  }
}

extension SeededGenerator {
  /// A Beta(a, b) sample.
  mutating func nextBeta(_ a: Double, _ b: Double) -> Double {
    let x = nextGamma(a)
    let y = nextGamma(b)
    return x / (x + y)
  }
}
