/// The gradient rules: one per op, given the gradient of the op's output.
extension TapeEntry {
  /// The gradient with respect to each input (nil for inputs that take none, such as ids).
  func gradients(_ g: Tensor) -> [Tensor?] {
    let backend = g.backend
    switch op {
    case .binary(let kind):
      let (a, b) = (inputs[0], inputs[1])
      switch kind {
      case .add: return [g.summed(to: a.shape), g.summed(to: b.shape)]
      case .subtract: return [g.summed(to: a.shape), (-g).summed(to: b.shape)]
      case .multiply: return [(g * b).summed(to: a.shape), (g * a).summed(to: b.shape)]
      case .divide: return [(g / b).summed(to: a.shape), (-(g * a) / (b * b)).summed(to: b.shape)]
      }

    case .affine(let scale):
      return [g.affine(scale: scale)]

    case .unary(let kind):
      let dx = Tensor(empty: g.shape, on: backend)
      backend.execute(.unaryBackward(kind, dx: dx.view, dy: g.view, x: saved[0].view, y: saved[1].view))
      return [dx]

    case .matmul(let transposeA, let transposeB):
      return matmulGradients(g, transposeA: transposeA, transposeB: transposeB)

    case .linear:
      return matmulGradients(g, transposeA: false, transposeB: false) + [g.summed(to: inputs[2].shape)]

    case .sum(let axis, let keepDims, let scale):
      var shape = inputs[0].shape
      shape[axis] = 1
      let expanded = keepDims ? g : g.reshaped(shape)
      let spread = expanded.broadcast(to: inputs[0].shape)
      return [scale == 1 ? spread : spread.affine(scale: scale)]

    case .reshape:
      return [g.reshaped(inputs[0].shape)]

    case .permute(let order):
      var inverse = [Int](repeating: 0, count: order.count)
      for (i, axis) in order.enumerated() { inverse[axis] = i }
      return [g.permuted(inverse)]

    case .slice(let axis, let start):
      let input = inputs[0]
      let dx = Tensor.zeros(input.shape, on: backend)
      let strides = Tensor.strides(of: input.shape)
      let target = BufferView(buffer: dx.storage.buffer, offset: dx.offset + start * strides[axis], count: dx.count)
      if g.count > 0 { backend.execute(.stridedAdd(x: target, y: g.view, shape: g.shape, strideX: strides)) }
      return [dx]

    case .layerNorm:
      let (x, weight) = (inputs[0], inputs[1])
      let columns = x.shape.last ?? 1
      let dx = Tensor(empty: x.shape, on: backend)
      let dWeight = Tensor(empty: [columns], on: backend)
      let dBias = Tensor(empty: [columns], on: backend)
      backend.execute(
        .layerNormBackward(
          dx: dx.view, dWeight: dWeight.view, dBias: dBias.view, dy: g.view, x: x.view, weight: weight.view,
          mean: saved[0].view, rstd: saved[1].view, rows: x.count / columns, columns: columns))
      return [dx, dWeight, dBias]

    case .attention(let heads):
      let qkv = inputs[0]
      let dqkv = Tensor(empty: qkv.shape, on: backend)
      backend.execute(
        .attentionBackward(
          dqkv: dqkv.view, dOut: g.view, qkv: qkv.view, out: output.view, lse: saved[0].view, batch: qkv.shape[0],
          time: qkv.shape[1], channels: qkv.shape[2] / 3, heads: heads))
      return [dqkv]

    case .crossEntropy(let scale):
      let (logits, targets) = (inputs[0], inputs[1])
      let dLogits = Tensor(empty: logits.shape, on: backend)
      backend.execute(
        .crossEntropyBackward(
          dLogits: dLogits.view, logits: logits.view, targets: targets.view, dLoss: g.view, rows: logits.shape[0],
          vocabulary: logits.shape[1], scale: scale))
      return [dLogits, nil]

    case .embedding:
      let (table, ids) = (inputs[0], inputs[1])
      let dTable = Tensor.zeros(table.shape, on: backend)
      backend.execute(
        .embeddingBackward(dTable: dTable.view, dOut: g.view, ids: ids.view, rows: ids.count, columns: table.shape[1]))
      return [dTable, nil]
    }
  }

  /// For C = op(A)·op(B): dA and dB, each in its operand's stored layout. A 2-D B shared by a
  /// batched A gets the sum over the batch.
  private func matmulGradients(_ g: Tensor, transposeA: Bool, transposeB: Bool) -> [Tensor?] {
    let (a, b) = (inputs[0], inputs[1])
    let shared = b.rank == 2 && a.rank > 2
    func flat(_ t: Tensor) -> Tensor { t.reshaped([-1, t.shape[t.rank - 1]]) }
    /// x·y with a 2-D left operand broadcast over a batched right one.
    func mm(_ x: Tensor, _ y: Tensor, _ tx: Bool, _ ty: Bool) -> Tensor {
      if x.rank == 2 && y.rank > 2 {
        return Tensor.matmul(x.broadcast(to: Array(y.shape.dropLast(2)) + x.shape), y, transposeA: tx, transposeB: ty)
      }
      return Tensor.matmul(x, y, transposeA: tx, transposeB: ty)
    }
    let dA: Tensor
    var dB: Tensor
    switch (transposeA, transposeB) {
    case (false, false):
      dA = mm(g, b, false, true)
      dB = shared ? Tensor.matmul(flat(a), flat(g), transposeA: true) : mm(a, g, true, false)
    case (false, true):
      dA = mm(g, b, false, false)
      dB = shared ? Tensor.matmul(flat(g), flat(a), transposeA: true) : mm(g, a, true, false)
    case (true, false):
      dA = mm(b, g, false, true)
      dB = mm(a, g, false, false)
    case (true, true):
      dA = mm(b, g, true, true)
      dB = mm(g, a, true, true)
    }
    if dB.shape != b.shape { dB = dB.summed(to: b.shape) }
    return [dA, dB]
  }
}
