extension Tensor {
  /// LayerNorm over the last dimension: `(x − mean)/√(var + eps)·weight + bias`, with the biased
  /// variance. Saves the per-row mean and 1/σ for the backward pass.
  public func layerNorm(weight: Tensor, bias: Tensor, eps: Float = 1e-5) -> Tensor {
    let columns = shape.last ?? 1
    precondition(
      weight.shape == [columns] && bias.shape == [columns], "layerNorm of \(shape) needs weight and bias [\(columns)]")
    let rows = count / columns
    let out = Tensor(empty: shape, on: backend)
    let mean = Tensor(empty: [rows], on: backend)
    let rstd = Tensor(empty: [rows], on: backend)
    backend.execute(
      .layerNormForward(
        y: out.view, mean: mean.view, rstd: rstd.view, x: view, weight: weight.view, bias: bias.view, rows: rows,
        columns: columns, eps: eps))
    Tape.record(.layerNorm, inputs: [self, weight, bias], output: out, saved: [mean, rstd])
    return out
  }

  /// Causal multi-head self-attention of `qkv` `[B, T, 3C]` (queries, keys and values side by side,
  /// head j in columns j·C/H..<(j+1)·C/H of each), flash-style: no `[T, T]` buffer is materialised.
  /// - Returns: `[B, T, C]`, and saves the per-row log-sum-exp for the backward pass.
  /// - Complexity: O(B·T²·C) time, O(B·T·C) memory.
  public func attention(heads: Int) -> Tensor {
    precondition(rank == 3 && shape[2] % 3 == 0, "attention needs qkv [B, T, 3C]; got \(shape)")
    let (batch, time, channels) = (shape[0], shape[1], shape[2] / 3)
    precondition(heads > 0 && channels % heads == 0, "\(channels) channels do not split into \(heads) heads")
    let out = Tensor(empty: [batch, time, channels], on: backend)
    let lse = Tensor(empty: [batch, heads, time], on: backend)
    backend.execute(
      .attentionForward(
        out: out.view, lse: lse.view, qkv: view, batch: batch, time: time, channels: channels, heads: heads))
    Tape.record(.attention(heads: heads), inputs: [self], output: out, saved: [lse])
    return out
  }

  /// Mean cross-entropy of logits `[N, V]` against int32 `targets` `[N]`, in nats. Rows whose target
  /// is negative are ignored; the mean divides by `normalizer` (default: the number of rows).
  /// - Returns: a scalar.
  public func softmaxCrossEntropy(targets: Tensor, normalizer: Int? = nil) -> Tensor {
    precondition(
      rank == 2 && targets.dtype == .int32 && targets.count == shape[0],
      "crossEntropy needs logits [N, V] and int32 targets [N]; got \(shape) and \(targets)")
    let rows = shape[0]
    let scale = 1 / Float(max(1, normalizer ?? rows))
    let losses = Tensor(empty: [rows], on: backend)
    backend.execute(
      .crossEntropyForward(losses: losses.view, logits: view, targets: targets.view, rows: rows, vocabulary: shape[1]))
    let out = Tensor(empty: [], on: backend)
    backend.execute(.sumAxis(out: out.view, x: losses.view, outer: 1, axis: rows, inner: 1, scale: scale))
    Tape.record(.crossEntropy(scale: scale), inputs: [self, targets], output: out)
    return out
  }

  /// Rows of `table` `[V, C]` picked by int32 `ids` (any shape).
  /// - Returns: `ids.shape + [C]`.
  public static func embedding(_ ids: Tensor, table: Tensor) -> Tensor {
    precondition(
      ids.dtype == .int32 && table.rank == 2, "embedding needs int32 ids and a [V, C] table; got \(ids), \(table)")
    let columns = table.shape[1]
    let out = Tensor(empty: ids.shape + [columns], on: table.backend)
    table.backend.execute(
      .embeddingForward(out: out.view, table: table.view, ids: ids.view, rows: ids.count, columns: columns))
    Tape.record(.embedding, inputs: [table, ids], output: out)
    return out
  }
}
