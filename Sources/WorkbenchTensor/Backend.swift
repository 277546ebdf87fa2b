/// Memory on a device: a CPU allocation, or a Vulkan buffer. Only its backend looks inside.
public protocol DeviceBuffer: AnyObject, Sendable {
  /// Capacity in bytes.
  var byteCount: Int { get }
}

/// A range of elements of a device buffer: what kernels read and write.
public struct BufferView: @unchecked Sendable {
  public let buffer: any DeviceBuffer
  /// First element, in elements of the tensor's dtype.
  public let offset: Int
  public let count: Int

  public init(buffer: any DeviceBuffer, offset: Int, count: Int) {
    self.buffer = buffer
    self.offset = offset
    self.count = count
  }

  /// Elements `start..<start+count` of this view.
  public func subview(_ start: Int, count: Int) -> BufferView {
    precondition(
      start >= 0 && start + count <= self.count, "subview \(start)..<\(start + count) of \(self.count) elements")
    return BufferView(buffer: buffer, offset: offset + start, count: count)
  }
}

/// Where tensors live and kernels run. A backend executes (or records, on a GPU) each `Kernel`;
/// values cross to the host only through `read`, which waits for the work recorded before it.
public protocol Backend: AnyObject, Sendable {
  /// A short name for logs: `cpu`, `vulkan:0 (NVIDIA …)`.
  var name: String { get }
  /// A buffer of at least `bytes` bytes, possibly reused from a pool; contents are undefined.
  func allocate(bytes: Int) -> any DeviceBuffer
  /// Returns a buffer no tensor uses any more (after the work that reads it, on asynchronous backends).
  func recycle(_ buffer: any DeviceBuffer)
  /// Copies host bytes into a view.
  func write(_ bytes: UnsafeRawBufferPointer, to view: BufferView, elementSize: Int)
  /// Copies a view to host memory, after all work recorded so far.
  func read(_ view: BufferView, elementSize: Int, into bytes: UnsafeMutableRawBufferPointer)
  /// Runs (or records) one kernel.
  func execute(_ kernel: Kernel)
  /// Waits for the work recorded so far and throws the first device failure since the last call
  /// (an asynchronous backend reports out-of-memory or a lost device here, not at `execute`).
  func synchronize() throws
  /// Whether a failure (out of memory, a lost device) is waiting for `synchronize()`: the work
  /// recorded since is being skipped, so a caller about to do costly host work for it may stop.
  var hasFailed: Bool { get }
}

extension Backend {
  /// Synchronous backends have nothing to wait for and report failures as they happen.
  public func synchronize() throws {}

  public var hasFailed: Bool { false }
}
