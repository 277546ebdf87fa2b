internal import CWorkbenchKernels

/// Elementwise functions of one tensor.
public enum UnaryOp: Sendable, CaseIterable {
  case negate, exp, log, sqrt, tanh, square, reciprocal, relu, gelu

  /// The op's code in `wb_ops.h`, which the C kernels and the shaders read too.
  public var code: Int32 {
    switch self {
    case .negate: WB_NEG
    case .exp: WB_EXP
    case .log: WB_LOG
    case .sqrt: WB_SQRT
    case .tanh: WB_TANH
    case .square: WB_SQUARE
    case .reciprocal: WB_RECIPROCAL
    case .relu: WB_RELU
    case .gelu: WB_GELU
    }
  }

  /// How many unary ops `wb_ops.h` defines (a test checks that every one is a case here).
  public static var definedInC: Int { Int(WB_UNARY_COUNT) }
}

/// Elementwise functions of two tensors (with broadcasting).
public enum BinaryOp: Sendable, CaseIterable {
  case add, subtract, multiply, divide

  /// The op's code in `wb_ops.h`.
  public var code: Int32 {
    switch self {
    case .add: WB_ADD
    case .subtract: WB_SUB
    case .multiply: WB_MUL
    case .divide: WB_DIV
    }
  }

  /// How many binary ops `wb_ops.h` defines.
  public static var definedInC: Int { Int(WB_BINARY_COUNT) }
}

/// A (batched) matrix multiply `C = alpha·op(A)·op(B) + beta·C` (+ a bias row), row-major.
public struct MatmulDescriptor: @unchecked Sendable {
  public var a: BufferView
  public var b: BufferView
  public var c: BufferView
  public var transposeA: Bool
  public var transposeB: Bool
  public var batch: Int
  public var m: Int
  public var n: Int
  public var k: Int
  /// Elements between batch entries; 0 broadcasts the operand over the batch.
  public var strideA: Int
  public var strideB: Int
  public var strideC: Int
  public var alpha: Float = 1
  public var beta: Float = 0
  /// A row of `n` added to every row of C (`beta` must be 0): a linear layer's bias, added in the
  /// multiply's epilogue rather than by a second pass over C.
  public var bias: BufferView?

  public init(
    a: BufferView, b: BufferView, c: BufferView, transposeA: Bool, transposeB: Bool, batch: Int, m: Int, n: Int, k: Int,
    strideA: Int, strideB: Int, strideC: Int, alpha: Float = 1, beta: Float = 0, bias: BufferView? = nil
  ) {
    self.a = a
    self.b = b
    self.c = c
    self.transposeA = transposeA
    self.transposeB = transposeB
    self.batch = batch
    self.m = m
    self.n = n
    self.k = k
    self.strideA = strideA
    self.strideB = strideB
    self.strideC = strideC
    self.alpha = alpha
    self.beta = beta
    self.bias = bias
  }
}

/// The closed set of kernels every backend implements: each op of the runtime runs as one or a
/// few of these. Shapes are validated before a kernel is built; a backend may assume them.
public enum Kernel: @unchecked Sendable {
  case fill(BufferView, Float)
  /// out = x·scale + shift
  case affine(out: BufferView, x: BufferView, scale: Float, shift: Float)
  /// y += alpha·x
  case axpy(y: BufferView, x: BufferView, alpha: Float)
  case unary(UnaryOp, out: BufferView, x: BufferView)
  /// dx = dy·op′(x), with y = op(x) available.
  case unaryBackward(UnaryOp, dx: BufferView, dy: BufferView, x: BufferView, y: BufferView)
  /// out = a op b over `shape`, operands read with element strides (0 broadcasts).
  case binary(BinaryOp, out: BufferView, a: BufferView, b: BufferView, shape: [Int], strideA: [Int], strideB: [Int])
  /// out (dense over `shape`) = x read with `strideX`.
  case stridedCopy(out: BufferView, x: BufferView, shape: [Int], strideX: [Int])
  /// x (at `strideX` positions) += y (dense over `shape`).
  case stridedAdd(x: BufferView, y: BufferView, shape: [Int], strideX: [Int])
  /// out[o, i] = scale·Σₐ x[o, a, i]
  case sumAxis(out: BufferView, x: BufferView, outer: Int, axis: Int, inner: Int, scale: Float)
  /// out[0] = Σ x²
  case sumSquares(out: BufferView, x: BufferView)
  /// g ·= min(1, maxNorm / ‖g‖), ‖g‖² read from `sumSquares` on the device.
  case clipByNorm(g: BufferView, sumSquares: BufferView, maxNorm: Float)
  case matmul(MatmulDescriptor)
  case layerNormForward(
    y: BufferView, mean: BufferView, rstd: BufferView, x: BufferView, weight: BufferView,
    bias: BufferView, rows: Int, columns: Int, eps: Float)
  case layerNormBackward(
    dx: BufferView, dWeight: BufferView, dBias: BufferView, dy: BufferView, x: BufferView,
    weight: BufferView, mean: BufferView, rstd: BufferView, rows: Int, columns: Int)
  case attentionForward(
    out: BufferView, lse: BufferView, qkv: BufferView, batch: Int, time: Int, channels: Int,
    heads: Int)
  case attentionBackward(
    dqkv: BufferView, dOut: BufferView, qkv: BufferView, out: BufferView, lse: BufferView,
    batch: Int, time: Int, channels: Int, heads: Int)
  /// Attention of the query in cache row `position` over cache rows 0...position (KV-cache decoding).
  case attentionDecode(
    out: BufferView, cache: BufferView, batch: Int, position: Int, capacity: Int, channels: Int, heads: Int)
  case crossEntropyForward(losses: BufferView, logits: BufferView, targets: BufferView, rows: Int, vocabulary: Int)
  case crossEntropyBackward(
    dLogits: BufferView, logits: BufferView, targets: BufferView, dLoss: BufferView,
    rows: Int, vocabulary: Int, scale: Float)
  case embeddingForward(out: BufferView, table: BufferView, ids: BufferView, rows: Int, columns: Int)
  case embeddingBackward(dTable: BufferView, dOut: BufferView, ids: BufferView, rows: Int, columns: Int)
  case adamW(
    parameters: BufferView, gradients: BufferView, m: BufferView, v: BufferView, learningRate: Float, beta1: Float,
    beta2: Float, eps: Float, weightDecay: Float, step: Int)
}
