extension Tensor {
  /// Matrix product `op(a)·op(b)` where op transposes the last two dimensions when asked, without
  /// copying: `a` is `[…, m, k]` (`[…, k, m]` transposed) and `b` is `[k, n]` (`[n, k]`
  /// transposed), either 2-D and shared by every batch entry or with the same batch dimensions.
  /// - Returns: `[…, m, n]`.
  /// - Complexity: O(batch·m·n·k).
  public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank >= 2 && b.rank >= 2, "matmul needs matrices; got \(a.shape) and \(b.shape)")
    precondition(a.dtype == .float32 && b.dtype == .float32, "matmul needs float32")
    let m = transposeA ? a.shape[a.rank - 1] : a.shape[a.rank - 2]
    let k = transposeA ? a.shape[a.rank - 2] : a.shape[a.rank - 1]
    let kb = transposeB ? b.shape[b.rank - 1] : b.shape[b.rank - 2]
    let n = transposeB ? b.shape[b.rank - 2] : b.shape[b.rank - 1]
    precondition(
      k == kb, "matmul inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    let batchA = Array(a.shape.dropLast(2))
    let batchB = Array(b.shape.dropLast(2))
    precondition(batchB.isEmpty || batchB == batchA, "matmul batch dimensions differ: \(a.shape) and \(b.shape)")
    let batch = batchA.reduce(1, *)
    let out = Tensor(empty: batchA + [m, n], on: a.backend)
    var descriptor = MatmulDescriptor(
      a: a.view, b: b.view, c: out.view, transposeA: transposeA, transposeB: transposeB, batch: batch, m: m, n: n, k: k,
      strideA: m * k, strideB: batchB.isEmpty ? 0 : k * n, strideC: m * n)
    if batchB.isEmpty && !transposeA && batch > 1 {
      // A shared right operand: one taller multiply instead of a batch of small ones.
      descriptor.batch = 1
      descriptor.m = batch * m
      descriptor.strideA = 0
      descriptor.strideC = 0
    }
    a.backend.execute(.matmul(descriptor))
    Tape.record(.matmul(transposeA: transposeA, transposeB: transposeB), inputs: [a, b], output: out)
    return out
  }

  /// A linear layer, `x·weight + bias`, as one multiply with the bias added in its epilogue (no
  /// second pass over the output): `x` is `[…, k]`, `weight` `[k, n]`, `bias` `[n]`.
  /// - Returns: `[…, n]`.
  /// - Complexity: O(rows·n·k).
  public static func linear(_ x: Tensor, _ weight: Tensor, bias: Tensor) -> Tensor {
    precondition(
      x.rank >= 2 && weight.rank == 2, "linear needs [..., k] and [k, n]; got \(x.shape) and \(weight.shape)")
    let (k, n) = (weight.shape[0], weight.shape[1])
    precondition(x.shape.last == k, "linear inner sizes differ: \(x.shape) · \(weight.shape)")
    precondition(bias.shape == [n], "linear bias must be [\(n)]; got \(bias.shape)")
    precondition(x.dtype == .float32 && weight.dtype == .float32 && bias.dtype == .float32, "linear needs float32")
    let rows = x.count / k
    let out = Tensor(empty: Array(x.shape.dropLast()) + [n], on: x.backend)
    let descriptor = MatmulDescriptor(
      a: x.view, b: weight.view, c: out.view, transposeA: false, transposeB: false, batch: 1, m: rows, n: n, k: k,
      strideA: 0, strideB: 0, strideC: 0, bias: bias.view)
    x.backend.execute(.matmul(descriptor))
    Tape.record(.linear, inputs: [x, weight, bias], output: out)
    return out
  }
}
