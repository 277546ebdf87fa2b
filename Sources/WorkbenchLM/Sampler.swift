import Foundation
import WorkbenchRandom
import WorkbenchTensor

/// How to pick each next token.
public struct SamplingOptions: Sendable, Equatable {
  public var maxTokens: Int
  /// 0 picks the most likely token (greedy); otherwise logits are divided by it.
  public var temperature: Double
  /// Sample only among the k most likely tokens (nil: all).
  public var topK: Int?
  public var seed: Int

  public init(maxTokens: Int, temperature: Double = 0, topK: Int? = nil, seed: Int = 0) {
    self.maxTokens = maxTokens
    self.temperature = temperature
    self.topK = topK
    self.seed = seed
  }
}

/// Generates text from a GPT with a key/value cache: each new token costs one row through every
/// block, not a pass over the whole sequence. Runs without recording a tape.
public final class Sampler {
  public let model: GPT
  private var caches: [Tensor]
  private var position = 0

  public init(model: GPT) {
    self.model = model
    let config = model.config
    caches = (0..<config.layers).map { _ in
      Tensor.zeros([1, config.context, 3 * config.width], on: model.arena.values.backend)
    }
  }

  /// Continues `prompt` (token ids, at least one) by up to `options.maxTokens` tokens.
  public func generate(prompt: [Int32], options: SamplingOptions) -> [Int32] {
    precondition(!prompt.isEmpty, "the prompt needs at least one token")
    var generator = SeededGenerator(seed: options.seed, stream: "sampling")
    var tokens = prompt
    return Tape.withoutRecording {
      reset(to: Array(tokens.suffix(model.config.context - 1)))
      var logits = lastLogits
      for _ in 0..<options.maxTokens {
        let next = pick(logits, options: options, &generator)
        tokens.append(next)
        if position == model.config.context {
          // The window is full: keep the most recent half as context and continue.
          reset(to: Array(tokens.suffix(model.config.context / 2)))
          logits = lastLogits
        } else {
          logits = step(next)
        }
      }
      return Array(tokens[prompt.count...])
    }
  }

  private var lastLogits: [Float] = []

  /// Empties the cache and feeds `tokens`, leaving the logits after the last in `lastLogits`.
  private func reset(to tokens: [Int32]) {
    position = 0
    for token in tokens { lastLogits = step(token) }
  }

  /// Feeds one token at the next position and returns the logits for the token after it.
  private func step(_ token: Int32) -> [Float] {
    let config = model.config
    let backend = model.arena.values.backend
    let ids = Tensor(ids: [token], shape: [1], on: backend)
    var x = Tensor.embedding(ids, table: model.wte) + model.wpe.slice(axis: 0, position..<(position + 1))
    for (block, cache) in zip(model.blocks, caches) {
      let qkv = block.queriesKeysValues(x)
      let row = cache.view.subview(position * 3 * config.width, count: 3 * config.width)
      backend.execute(.stridedCopy(out: row, x: qkv.view, shape: [3 * config.width], strideX: [1]))
      let attended = Tensor(empty: [1, config.width], on: backend)
      backend.execute(
        .attentionDecode(
          out: attended.view, cache: cache.view, batch: 1, position: position, capacity: config.context,
          channels: config.width, heads: config.heads))
      x = x + block.project(attended)
      x = x + block.mlp(x)
    }
    position += 1
    let normed = x.layerNorm(weight: model.finalNormWeight, bias: model.finalNormBias)
    return Tensor.matmul(normed, model.wte, transposeB: true).toArray()
  }

  private func pick(_ logits: [Float], options: SamplingOptions, _ generator: inout SeededGenerator) -> Int32 {
    if options.temperature <= 0 {
      return Int32(logits.indices.max { logits[$0] < logits[$1] }!)
    }
    var candidates = Array(logits.indices)
    if let k = options.topK, k < candidates.count {
      candidates = Array(candidates.sorted { logits[$0] > logits[$1] }.prefix(max(1, k)))
    }
    let top = candidates.map { Double(logits[$0]) }.max()!
    let weights = candidates.map { exp((Double(logits[$0]) - top) / options.temperature) }
    var u = generator.nextUnit() * weights.reduce(0, +)
    for (candidate, weight) in zip(candidates, weights) {
      u -= weight
      if u < 0 { return Int32(candidate) }
    }
    return Int32(candidates.last!)
  }
}
