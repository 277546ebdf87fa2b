import Foundation
import WorkbenchRandom
import WorkbenchTensor

/// A corpus split into training and validation bytes that never overlap: validation is the last
/// max(⌈n/100⌉, 64·ctx) bytes (as `../shared/bench/ref_gpt_train.py`), training the rest, and no
/// window crosses the boundary.
public struct TokenData: Sendable {
  public let bytes: [UInt8]
  public let trainCount: Int
  public let context: Int
  public let name: String

  /// - Throws: `CorpusError` when the corpus cannot fill one training batch of `batch` windows.
  public init(corpus: TextCorpus, context: Int, batch: Int) throws {
    let n = corpus.bytes.count
    let validation = max((n + 99) / 100, 64 * context)
    let needed = validation + batch * (context + 1)
    name = corpus.paths.joined(separator: ", ")
    guard n >= needed else {
      throw CorpusError(
        .tooSmall,
        "corpus \(name): \(n) bytes is too small for batch \(batch) × ctx \(context) (need at least \(needed): \(validation) for validation and one batch of windows for training)"
      )
    }
    bytes = corpus.bytes
    trainCount = n - validation
    self.context = context
  }

  public var validationCount: Int { bytes.count - trainCount }

  /// Offsets (relative to the validation part) of `count` fixed validation windows, drawn with `seed`.
  public func validationOffsets(count: Int, seed: Int) -> [Int] {
    var generator = SeededGenerator(seed: seed, stream: "validation-windows")
    return (0..<count).map { _ in Int(generator.next() % UInt64(validationCount - context)) }
  }

  /// Windows at `offsets` (absolute) as int32 `tokens` and `targets`, each `[offsets.count, ctx]`.
  public func windows(_ offsets: [Int]) -> (tokens: [Int32], targets: [Int32]) {
    var tokens: [Int32] = []
    var targets: [Int32] = []
    tokens.reserveCapacity(offsets.count * context)
    targets.reserveCapacity(offsets.count * context)
    for offset in offsets {
      for i in 0..<context {
        tokens.append(Int32(bytes[offset + i]))
        targets.append(Int32(bytes[offset + i + 1]))
      }
    }
    return (tokens, targets)
  }
}

/// Random training windows of ctx+1 bytes from a seed; its state is one integer, so a checkpoint
/// resumes the exact batch sequence.
public struct BatchSampler: Sendable {
  public private(set) var generator: SeededGenerator

  public init(seed: Int) { generator = SeededGenerator(seed: seed, stream: "train-batches") }
  public init(rawState: UInt64) { generator = SeededGenerator(rawState: rawState) }

  /// `batch` window offsets, uniform over the training part.
  public mutating func nextOffsets(batch: Int, data: TokenData) -> [Int] {
    (0..<batch).map { _ in Int(generator.next() % UInt64(data.trainCount - data.context)) }
  }
}
