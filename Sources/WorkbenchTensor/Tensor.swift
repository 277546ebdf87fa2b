/// Keeps a device buffer alive and returns it to its backend when the last tensor using it goes.
final class Storage {
  let buffer: any DeviceBuffer
  let backend: any Backend

  init(backend: any Backend, bytes: Int) {
    self.backend = backend
    buffer = backend.allocate(bytes: bytes)
  }

  deinit { backend.recycle(buffer) }
}

/// A dense, row-major array on a backend's device. Reading it on the host is explicit
/// (`toArray()`, `item()`); everything else runs as kernels on its backend.
///
/// Ops on tensors record themselves on the active `Tape` (if any input requires a gradient), so
/// `Tape.backward(_:)` can compute gradients; outside a tape nothing is recorded (no-grad mode).
public final class Tensor {
  /// Sizes of the dimensions; `[]` for a scalar.
  public let shape: [Int]
  public let dtype: DType
  /// Number of elements.
  public let count: Int
  let storage: Storage
  /// First element within the storage.
  let offset: Int
  /// Whether gradients flow to this tensor (set for parameters and inputs under study, and for
  /// every result of an op on such tensors while a tape records).
  public internal(set) var requiresGrad = false
  /// The accumulated gradient, for tensors that require one and are not results of recorded ops
  /// (for parameters it is their slot in the gradient arena).
  public var grad: Tensor?

  init(shape: [Int], dtype: DType, storage: Storage, offset: Int) {
    self.shape = shape
    self.dtype = dtype
    self.count = shape.reduce(1, *)
    self.storage = storage
    self.offset = offset
  }

  /// An uninitialised tensor.
  public convenience init(empty shape: [Int], dtype: DType = .float32, on backend: any Backend) {
    precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
    let count = shape.reduce(1, *)
    self.init(shape: shape, dtype: dtype, storage: Storage(backend: backend, bytes: count * dtype.byteSize), offset: 0)
  }

  /// The backend the tensor lives on.
  public var backend: any Backend { storage.backend }

  /// The kernel-facing description of this tensor's elements.
  public var view: BufferView { BufferView(buffer: storage.buffer, offset: offset, count: count) }

  /// The number of dimensions.
  public var rank: Int { shape.count }

  /// Marks the tensor as one whose gradient is wanted (an input of a gradient check, a parameter).
  @discardableResult
  public func requiringGrad() -> Tensor {
    requiresGrad = true
    return self
  }

  /// Row-major strides of `shape`, in elements.
  public static func strides(of shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
      strides[axis] = running
      running *= shape[axis]
    }
    return strides
  }
}

extension Tensor: CustomStringConvertible {
  public var description: String { "Tensor(\(dtype) \(shape) on \(backend.name))" }
}
