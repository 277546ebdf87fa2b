extension Tensor {
  /// The shape both operands broadcast to (NumPy rules: align right, 1 stretches).
  static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int] {
    let rank = max(a.count, b.count)
    return (0..<rank).map { i in
      let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
      let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
      precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
      return max(x, y)
    }
  }

  /// Element strides that read `shape` as if it were `target` (0 along stretched dimensions).
  static func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = strides(of: shape)
    let lead = target.count - shape.count
    return (0..<target.count).map { i in
      i < lead || shape[i - lead] == 1 ? 0 : own[i - lead]
    }
  }

  func binary(_ op: BinaryOp, _ other: Tensor) -> Tensor {
    precondition(dtype == .float32 && other.dtype == .float32, "\(op) needs float32 tensors: \(self), \(other)")
    let shape = Tensor.broadcastShape(self.shape, other.shape)
    let out = Tensor(empty: shape, on: backend)
    backend.execute(
      .binary(
        op, out: out.view, a: view, b: other.view, shape: shape.isEmpty ? [1] : shape,
        strideA: shape.isEmpty ? [0] : Tensor.broadcastStrides(self.shape, to: shape),
        strideB: shape.isEmpty ? [0] : Tensor.broadcastStrides(other.shape, to: shape)))
    Tape.record(.binary(op), inputs: [self, other], output: out)
    return out
  }

  /// Elementwise sum, broadcasting.
  public static func + (a: Tensor, b: Tensor) -> Tensor { a.binary(.add, b) }
  /// Elementwise difference, broadcasting.
  public static func - (a: Tensor, b: Tensor) -> Tensor { a.binary(.subtract, b) }
  /// Elementwise product, broadcasting.
  public static func * (a: Tensor, b: Tensor) -> Tensor { a.binary(.multiply, b) }
  /// Elementwise quotient, broadcasting.
  public static func / (a: Tensor, b: Tensor) -> Tensor { a.binary(.divide, b) }

  /// `self·scale + shift`, elementwise.
  public func affine(scale: Float, shift: Float = 0) -> Tensor {
    let out = Tensor(empty: shape, on: backend)
    backend.execute(.affine(out: out.view, x: view, scale: scale, shift: shift))
    Tape.record(.affine(scale: scale), inputs: [self], output: out)
    return out
  }

  public static func * (a: Tensor, s: Float) -> Tensor { a.affine(scale: s) }
  public static func * (s: Float, a: Tensor) -> Tensor { a.affine(scale: s) }
  public static func + (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: s) }
  public static func - (a: Tensor, s: Float) -> Tensor { a.affine(scale: 1, shift: -s) }
  public static prefix func - (a: Tensor) -> Tensor { a.unary(.negate) }

  /// An elementwise function.
  public func unary(_ op: UnaryOp) -> Tensor {
    precondition(dtype == .float32, "\(op) needs float32; got \(self)")
    let out = Tensor(empty: shape, on: backend)
    backend.execute(.unary(op, out: out.view, x: view))
    Tape.record(.unary(op), inputs: [self], output: out, saved: [self, out])
    return out
  }

  public func exp() -> Tensor { unary(.exp) }
  public func log() -> Tensor { unary(.log) }
  public func sqrt() -> Tensor { unary(.sqrt) }
  public func tanh() -> Tensor { unary(.tanh) }
  public func square() -> Tensor { unary(.square) }
  public func reciprocal() -> Tensor { unary(.reciprocal) }
  public func relu() -> Tensor { unary(.relu) }

  /// GPT-2's GELU, tanh form: `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
  public func gelu() -> Tensor { unary(.gelu) }
}
