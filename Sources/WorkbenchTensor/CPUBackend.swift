internal import CWorkbenchKernels
import Foundation
import Synchronization
import WorkbenchErrors

/// Host memory for the CPU backend: 64-byte aligned, freed when the buffer is released.
final class CPUBuffer: DeviceBuffer, @unchecked Sendable {
  let pointer: UnsafeMutableRawPointer
  let byteCount: Int
  /// The backend whose failed allocation this buffer stands in for (no memory behind it).
  private let standingInFor: CPUBackend?

  /// Nil when the memory cannot be had.
  init?(bytes: Int) {
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, 64, max(bytes, 64)) == 0, let raw else { return nil }
    pointer = raw
    byteCount = bytes
    standingInFor = nil
  }

  /// What an allocation that failed hands out: while any is alive, the backend runs no kernel.
  init(standingInFor backend: CPUBackend) {
    pointer = Self.nowhere
    byteCount = 0
    standingInFor = backend
    backend.standIns.add(1, ordering: .acquiringAndReleasing)
  }

  var isStandIn: Bool { standingInFor != nil }

  deinit {
    if let backend = standingInFor {
      backend.standIns.subtract(1, ordering: .acquiringAndReleasing)
    } else {
      free(pointer)
    }
  }

  /// Memory no kernel reaches: kernels do not run while a stand-in is alive.
  nonisolated(unsafe) private static let nowhere = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
}

/// The CPU backend could not allocate a tensor's memory. The run that asked for it ends as failed
/// with this message; the process (and the next run of a sweep) goes on.
public struct CPUOutOfMemory: WorkbenchError {
  public enum Code: String, ErrorCodes { case outOfMemory }
  public var code: Code { .outOfMemory }
  public let bytes: Int

  public var description: String {
    "out of memory: the CPU backend could not allocate \(bytes) bytes for a tensor; use a smaller model, batch "
      + "or context, or run fewer processes on this machine"
  }
}

/// The CPU backend: OpenBLAS `sgemm` for matrix multiplies (its core type chosen from the
/// processor's features, `CPUKernelRuntime`) and hand-written C kernels for the rest, built per
/// kernel set (baseline, AVX2, AVX-512), multithreaded over one pool (`threads`). It runs every kernel at once, in order; it is
/// the reference every other backend is checked against.
public final class CPUBackend: Backend {
  public static let shared = CPUBackend()

  public var name: String { "cpu" }
  /// Free buffers by exact size: a training step allocates the same shapes every step, so after
  /// the first step allocation is a dictionary lookup.
  private let pool = Mutex<(free: [Int: [CPUBuffer]], bytes: Int)>(([:], 0))
  /// The pool never keeps more than this many bytes of free buffers.
  public static let poolLimit = 1 << 30
  /// Buffers alive that stand in for failed allocations: while there is one, kernels and writes
  /// are skipped, reads give NaN, and `synchronize()` throws (as the Vulkan backend does after a
  /// failure) — so nothing computes on memory that is not there, even after the error was seen.
  let standIns = Atomic<Int>(0)
  /// The first failure, kept for `synchronize()`.
  private let failure = Mutex<CPUOutOfMemory?>(nil)

  /// - Parameter configuringThreads: set the kernel threads to their default (the shared backend
  ///   does; a second instance, as tests make, leaves them alone).
  init(configuringThreads: Bool = true) {
    _ = CPUKernelRuntime.shared  // kernel set and BLAS library before the first kernel
    if configuringThreads { wb_set_num_threads(Int32(Self.defaultThreads)) }
  }

  /// `WORKBENCH_THREADS` when set, else the number of cores.
  public static var defaultThreads: Int {
    if let text = ProcessInfo.processInfo.environment["WORKBENCH_THREADS"], let n = Int(text), n > 0 { return n }
    return ProcessInfo.processInfo.activeProcessorCount
  }

  /// Sets the kernel threads (OpenBLAS itself stays single-threaded; workbench splits each
  /// multiply over its own pool).
  public static func setThreads(_ count: Int) {
    _ = shared  // its first use sets the default, which must not undo this
    wb_set_num_threads(Int32(max(1, count)))
  }

  /// The kernel threads in use.
  public static var threads: Int { Int(wb_num_threads()) }

  public func allocate(bytes: Int) -> any DeviceBuffer {
    let reused = pool.withLock { state -> CPUBuffer? in
      guard let buffer = state.free[bytes]?.popLast() else { return nil }
      state.bytes -= bytes
      return buffer
    }
    if let buffer = reused ?? CPUBuffer(bytes: bytes) { return buffer }
    trimPool()  // what the pool keeps is the first memory to give back
    if let buffer = CPUBuffer(bytes: bytes) { return buffer }
    failure.withLock { if $0 == nil { $0 = CPUOutOfMemory(bytes: bytes) } }
    return CPUBuffer(standingInFor: self)
  }

  public var hasFailed: Bool { standIns.load(ordering: .acquiring) > 0 }

  /// Throws the allocation failure while any tensor of the work that met it is alive (that work
  /// was skipped; the caller abandons it). Once those tensors are gone the backend is usable
  /// again.
  public func synchronize() throws {
    guard standIns.load(ordering: .acquiring) > 0 else {
      failure.withLock { $0 = nil }
      return
    }
    throw failure.withLock { $0 } ?? CPUOutOfMemory(bytes: 0)
  }

  public func recycle(_ buffer: any DeviceBuffer) {
    let buffer = unsafeDowncast(buffer, to: CPUBuffer.self)
    guard !buffer.isStandIn else { return }
    pool.withLock { state in
      guard state.bytes + buffer.byteCount <= Self.poolLimit else { return }
      state.free[buffer.byteCount, default: []].append(buffer)
      state.bytes += buffer.byteCount
    }
  }

  /// Frees every pooled buffer.
  public func trimPool() { pool.withLock { $0 = ([:], 0) } }

  public func write(_ bytes: UnsafeRawBufferPointer, to view: BufferView, elementSize: Int) {
    guard standIns.load(ordering: .relaxed) == 0 else { return }
    let target = unsafeDowncast(view.buffer, to: CPUBuffer.self).pointer + view.offset * elementSize
    target.copyMemory(from: bytes.baseAddress!, byteCount: min(bytes.count, view.count * elementSize))
  }

  public func read(_ view: BufferView, elementSize: Int, into bytes: UnsafeMutableRawBufferPointer) {
    guard standIns.load(ordering: .relaxed) == 0 else {
      // Values that cannot be mistaken for results; `synchronize()` says what happened.
      let floats = bytes.bindMemory(to: Float.self)
      for i in floats.indices { floats[i] = .nan }
      return
    }
    let source = unsafeDowncast(view.buffer, to: CPUBuffer.self).pointer + view.offset * elementSize
    bytes.baseAddress!.copyMemory(from: source, byteCount: min(bytes.count, view.count * elementSize))
  }

  @inline(__always) private func f(_ view: BufferView) -> UnsafeMutablePointer<Float> {
    unsafeDowncast(view.buffer, to: CPUBuffer.self).pointer.assumingMemoryBound(to: Float.self) + view.offset
  }

  @inline(__always) private func i(_ view: BufferView) -> UnsafeMutablePointer<Int32> {
    unsafeDowncast(view.buffer, to: CPUBuffer.self).pointer.assumingMemoryBound(to: Int32.self) + view.offset
  }

  public func execute(_ kernel: Kernel) {
    guard standIns.load(ordering: .relaxed) == 0 else { return }
    switch kernel {
    case .fill(let y, let value):
      wb_fill(f(y), y.count, value)
    case .affine(let out, let x, let scale, let shift):
      wb_affine(f(out), f(x), out.count, scale, shift)
    case .axpy(let y, let x, let alpha):
      wb_axpy(f(y), f(x), y.count, alpha)
    case .unary(let op, let out, let x):
      wb_unary(op.code, f(out), f(x), out.count)
    case .unaryBackward(let op, let dx, let dy, let x, let y):
      wb_unary_backward(op.code, f(dx), f(dy), f(x), f(y), dx.count)
    case .binary(let op, let out, let a, let b, let shape, let strideA, let strideB):
      shape.withUnsafeBufferPointer { s in
        strideA.withUnsafeBufferPointer { sa in
          strideB.withUnsafeBufferPointer { sb in
            wb_binary(
              op.code, f(out), f(a), f(b), s.baseAddress, sa.baseAddress, sb.baseAddress, Int32(shape.count))
          }
        }
      }
    case .stridedCopy(let out, let x, let shape, let strideX):
      shape.withUnsafeBufferPointer { s in
        strideX.withUnsafeBufferPointer { sx in
          wb_strided_copy(f(out), f(x), s.baseAddress, sx.baseAddress, Int32(shape.count))
        }
      }
    case .stridedAdd(let x, let y, let shape, let strideX):
      shape.withUnsafeBufferPointer { s in
        strideX.withUnsafeBufferPointer { sx in
          wb_strided_add(f(x), f(y), s.baseAddress, sx.baseAddress, Int32(shape.count))
        }
      }
    case .sumAxis(let out, let x, let outer, let axis, let inner, let scale):
      wb_sum_axis(f(out), f(x), outer, axis, inner, scale)
    case .sumSquares(let out, let x):
      wb_sum_squares(f(out), f(x), x.count)
    case .clipByNorm(let g, let sumSquares, let maxNorm):
      wb_clip_by_norm(f(g), g.count, f(sumSquares), maxNorm)
    case .matmul(let d):
      let lda = d.transposeA ? d.m : d.k
      let ldb = d.transposeB ? d.k : d.n
      wb_sgemm(
        d.transposeA ? 1 : 0, d.transposeB ? 1 : 0, d.batch, d.m, d.n, d.k, d.alpha, f(d.a), lda, d.strideA, f(d.b),
        ldb,
        d.strideB, d.beta, f(d.c), d.n, d.strideC, d.bias.map { UnsafePointer(f($0)) })
    case .layerNormForward(let y, let mean, let rstd, let x, let w, let b, let rows, let columns, let eps):
      wb_layernorm_forward(f(y), f(mean), f(rstd), f(x), f(w), f(b), rows, columns, eps)
    case .layerNormBackward(let dx, let dw, let db, let dy, let x, let w, let mean, let rstd, let rows, let columns):
      wb_layernorm_backward(f(dx), f(dw), f(db), f(dy), f(x), f(w), f(mean), f(rstd), rows, columns)
    case .attentionForward(let out, let lse, let qkv, let batch, let time, let channels, let heads):
      wb_attention_forward(f(out), f(lse), f(qkv), batch, time, channels, heads)
    case .attentionBackward(let dqkv, let dOut, let qkv, let out, let lse, let batch, let time, let channels, let heads):
      wb_attention_backward(f(dqkv), f(dOut), f(qkv), f(out), f(lse), batch, time, channels, heads)
    case .attentionDecode(let out, let cache, let batch, let position, let capacity, let channels, let heads):
      wb_attention_decode(f(out), f(cache), batch, position, capacity, channels, heads)
    case .crossEntropyForward(let losses, let logits, let targets, let rows, let vocabulary):
      wb_cross_entropy_forward(f(losses), f(logits), i(targets), rows, vocabulary)
    case .crossEntropyBackward(let dLogits, let logits, let targets, let dLoss, let rows, let vocabulary, let scale):
      wb_cross_entropy_backward(f(dLogits), f(logits), i(targets), f(dLoss), rows, vocabulary, scale)
    case .embeddingForward(let out, let table, let ids, let rows, let columns):
      wb_embedding_forward(f(out), f(table), i(ids), rows, columns)
    case .embeddingBackward(let dTable, let dOut, let ids, let rows, let columns):
      wb_embedding_backward(f(dTable), f(dOut), i(ids), rows, columns)
    case .adamW(let p, let g, let m, let v, let lr, let beta1, let beta2, let eps, let weightDecay, let step):
      wb_adamw(f(p), f(g), f(m), f(v), p.count, lr, beta1, beta2, eps, weightDecay, step)
    }
  }
}
