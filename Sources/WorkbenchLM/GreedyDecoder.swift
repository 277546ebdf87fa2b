import WorkbenchTensor

/// Greedy decoding of many prompts at once: each step runs the batch through the model once and
/// appends, to every unfinished row, the most likely token after its own last token (rows are
/// left-aligned; causal attention keeps what lies after a row's end from affecting it). Without
/// a key/value cache, but batched — for evaluation sets of short answers this is far faster than
/// decoding prompts one by one.
public struct GreedyDecoder {
  public let model: GPT
  public let batch: Int

  public init(model: GPT, batch: Int = 64) {
    self.model = model
    self.batch = batch
  }

  /// The continuation of each prompt: up to `maxTokens` tokens, stopping after `stop`
  /// (not included). Prompts longer than the context keep their last tokens.
  public func decode(_ prompts: [[Int32]], maxTokens: Int, stop: Int32) throws -> [[Int32]] {
    let context = model.config.context
    let vocabulary = model.config.vocabulary
    let backend = model.arena.values.backend
    var results: [[Int32]] = []
    // Every position's logits come back to the host: at most 64 M values (256 MB) per step.
    let rowsPerStep = max(1, min(batch, (1 << 26) / max(1, context * vocabulary)))
    for start in stride(from: 0, to: prompts.count, by: rowsPerStep) {
      var rows = prompts[start..<min(start + rowsPerStep, prompts.count)].map { Array($0.suffix(context - 1)) }
      var outputs = [[Int32]](repeating: [], count: rows.count)
      var done = [Bool](repeating: maxTokens == 0, count: rows.count)
      while !done.allSatisfy({ $0 }) {
        let width = min(context, rows.map(\.count).max()!)
        var ids = [Int32](repeating: stop, count: rows.count * width)
        for (r, row) in rows.enumerated() {
          for (t, token) in row.suffix(width).enumerated() { ids[r * width + t] = token }
        }
        let logits = Tape.withoutRecording {
          model.logits(Tensor(ids: ids, shape: [rows.count, width], on: backend))
        }.toArray()
        try backend.synchronize()
        for r in rows.indices where !done[r] {
          let last = min(rows[r].count, width) - 1
          let scores = logits[((r * width + last) * vocabulary)..<((r * width + last + 1) * vocabulary)]
          let next = Int32(scores.indices.max { scores[$0] < scores[$1] }! - scores.startIndex)
          if next == stop {
            done[r] = true
            continue
          }
          outputs[r].append(next)
          rows[r].append(next)
          if rows[r].count >= context { rows[r].removeFirst() }
          if outputs[r].count >= maxTokens { done[r] = true }
        }
      }
      results += outputs
    }
    return results
  }
}
