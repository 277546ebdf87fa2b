/// One parameter's place in an arena.
public struct ParameterSpec: Sendable, Equatable {
  public var name: String
  public var shape: [Int]
  /// Whether AdamW's weight decay applies (by convention: tensors of 2 or more dimensions).
  public var decay: Bool

  public init(_ name: String, _ shape: [Int], decay: Bool? = nil) {
    self.name = name
    self.shape = shape
    self.decay = decay ?? (shape.count >= 2)
  }
}

/// All parameters of a model in one allocation, with their gradients and AdamW moments in three
/// more: each parameter is a view (name, shape, offset). An optimizer step is one kernel per decay
/// group, a checkpoint one write, a device upload one copy.
///
/// Parameters with weight decay come first, then those without; every view starts at a multiple
/// of `alignment` elements (256 bytes by default, the strictest storage-buffer offset alignment
/// Vulkan devices ask for).
public final class ParameterArena {
  public let specs: [ParameterSpec]
  /// Offsets of each parameter in the arena, in elements, by spec order.
  public let offsets: [Int]
  /// Elements in the arena (with padding).
  public let count: Int
  /// Elements [0, decayEnd) are decayed, the rest are not.
  public let decayEnd: Int
  public let values: Tensor
  public let gradients: Tensor
  let m: Tensor
  let v: Tensor
  /// The parameters, by spec order: views of `values`, each with its gradient view as `grad`.
  public let parameters: [Tensor]
  private let index: [String: Int]
  /// AdamW steps taken.
  public private(set) var step = 0

  public init(_ specs: [ParameterSpec], on backend: any Backend, alignment: Int = 64) {
    self.specs = specs
    var offsets = [Int](repeating: 0, count: specs.count)
    var cursor = 0
    var decayed = 0
    for pass in [true, false] {
      for (i, spec) in specs.enumerated() where spec.decay == pass {
        offsets[i] = cursor
        cursor = (cursor + spec.shape.reduce(1, *) + alignment - 1) / alignment * alignment
      }
      if pass { decayed = cursor }
    }
    decayEnd = decayed
    self.offsets = offsets
    let total = max(cursor, 1)
    count = total
    let values = Tensor.zeros([total], on: backend)
    let gradients = Tensor.zeros([total], on: backend)
    self.values = values
    self.gradients = gradients
    m = Tensor.zeros([total], on: backend)
    v = Tensor.zeros([total], on: backend)
    parameters = specs.indices.map { i in
      let parameter = Tensor(shape: specs[i].shape, dtype: .float32, storage: values.storage, offset: offsets[i])
      parameter.grad = Tensor(shape: specs[i].shape, dtype: .float32, storage: gradients.storage, offset: offsets[i])
      parameter.requiresGrad = true
      return parameter
    }
    index = Dictionary(uniqueKeysWithValues: specs.enumerated().map { ($0.element.name, $0.offset) })
  }

  /// The parameter called `name`.
  public subscript(name: String) -> Tensor {
    guard let i = index[name] else { preconditionFailure("no parameter \(name)") }
    return parameters[i]
  }

  /// Sets every gradient to zero.
  public func zeroGradients() {
    values.backend.execute(.fill(gradients.view, 0))
  }

  /// The squared global norm of the gradients (a scalar on the device), and clips them to
  /// `maxNorm` when given (as `torch.nn.utils.clip_grad_norm_`).
  @discardableResult
  public func clipGradients(maxNorm: Float?) -> Tensor {
    let squares = Tensor(empty: [], on: values.backend)
    values.backend.execute(.sumSquares(out: squares.view, x: gradients.view))
    if let maxNorm {
      values.backend.execute(.clipByNorm(g: gradients.view, sumSquares: squares.view, maxNorm: maxNorm))
    }
    return squares
  }

  /// One AdamW step over every parameter (weight decay only on the decayed group).
  public func adamWStep(
    learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.95, eps: Float = 1e-8, weightDecay: Float
  ) {
    step += 1
    let backend = values.backend
    for (range, decay) in [(0..<decayEnd, weightDecay), (decayEnd..<count, Float(0))] where !range.isEmpty {
      func slice(_ t: Tensor) -> BufferView {
        BufferView(buffer: t.storage.buffer, offset: range.lowerBound, count: range.count)
      }
      backend.execute(
        .adamW(
          parameters: slice(values), gradients: slice(gradients), m: slice(m), v: slice(v), learningRate: learningRate,
          beta1: beta1, beta2: beta2, eps: eps, weightDecay: decay, step: step))
    }
  }

  /// The optimizer state (moments and step) for checkpoints.
  public var moments: (m: Tensor, v: Tensor) { (m, v) }

  /// Restores the step counter from a checkpoint.
  public func restoreStep(_ value: Int) { step = value }
}
