import Foundation
import Synchronization

/// Wraps a backend and times every kernel it runs, by kernel name: the per-op table of
/// `workbench bench ops`. (Synchronous backends only: the time of a kernel is the time of its call.)
public final class ProfilingBackend: Backend {
  public let inner: any Backend
  private let totals = Mutex<[String: (calls: Int, seconds: Double)]>([:])

  public init(_ inner: any Backend) { self.inner = inner }

  public var name: String { inner.name }
  public func allocate(bytes: Int) -> any DeviceBuffer { inner.allocate(bytes: bytes) }
  public func recycle(_ buffer: any DeviceBuffer) { inner.recycle(buffer) }
  public func write(_ bytes: UnsafeRawBufferPointer, to view: BufferView, elementSize: Int) {
    inner.write(bytes, to: view, elementSize: elementSize)
  }
  public func read(_ view: BufferView, elementSize: Int, into bytes: UnsafeMutableRawBufferPointer) {
    inner.read(view, elementSize: elementSize, into: bytes)
  }

  public func synchronize() throws { try inner.synchronize() }
  public var hasFailed: Bool { inner.hasFailed }

  public func execute(_ kernel: Kernel) {
    let start = DispatchTime.now().uptimeNanoseconds
    inner.execute(kernel)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    totals.withLock {
      $0[kernel.name, default: (0, 0)].calls += 1; $0[kernel.name, default: (0, 0)].seconds += seconds
    }
  }

  /// Calls and seconds per kernel name since the last reset, slowest first.
  public func report() -> [(name: String, calls: Int, seconds: Double)] {
    totals.withLock { $0.map { ($0.key, $0.value.calls, $0.value.seconds) } }.sorted { $0.seconds > $1.seconds }
  }

  public func reset() { totals.withLock { $0.removeAll() } }
}

extension Kernel {
  /// A short name for profiles; matrix multiplies carry their transposes.
  public var name: String {
    switch self {
    case .fill: return "fill"
    case .affine: return "affine"
    case .axpy: return "axpy"
    case .unary(let op, _, _): return "unary.\(op)"
    case .unaryBackward(let op, _, _, _, _): return "unary.\(op).backward"
    case .binary(let op, _, _, _, _, _, _): return "binary.\(op)"
    case .stridedCopy: return "stridedCopy"
    case .stridedAdd: return "stridedAdd"
    case .sumAxis: return "sumAxis"
    case .sumSquares: return "sumSquares"
    case .clipByNorm: return "clipByNorm"
    case .matmul(let d):
      return "matmul" + (d.transposeA ? "ᵀ" : "") + "·" + (d.transposeB ? "ᵀ" : "") + (d.bias != nil ? "+bias" : "")
    case .layerNormForward: return "layerNorm"
    case .layerNormBackward: return "layerNorm.backward"
    case .attentionForward: return "attention"
    case .attentionBackward: return "attention.backward"
    case .attentionDecode: return "attention.decode"
    case .crossEntropyForward: return "crossEntropy"
    case .crossEntropyBackward: return "crossEntropy.backward"
    case .embeddingForward: return "embedding"
    case .embeddingBackward: return "embedding.backward"
    case .adamW: return "adamW"
    }
  }
}
