/// What an op did, as far as its gradient rule needs to know.
enum Op {
  case binary(BinaryOp)
  case affine(scale: Float)
  case unary(UnaryOp)
  case matmul(transposeA: Bool, transposeB: Bool)
  case linear
  case sum(axis: Int, keepDims: Bool, scale: Float)
  case reshape
  case permute([Int])
  case slice(axis: Int, start: Int)
  case layerNorm
  case attention(heads: Int)
  case crossEntropy(scale: Float)
  case embedding
}

/// One recorded op: its inputs, its output, and what its gradient rule saved.
struct TapeEntry {
  let op: Op
  let inputs: [Tensor]
  let output: Tensor
  let saved: [Tensor]
}

/// Reverse-mode automatic differentiation: while a tape records, every op on tensors that require
/// gradients appends an entry; `backward(_:)` walks the entries in reverse and applies each op's
/// gradient rule (one per op, in `Gradients.swift`). Outside `record` nothing is kept: that is
/// the no-grad mode used for evaluation and sampling.
///
/// The active tape is task-local (thread-local outside Swift concurrency), so tapes on different
/// threads never mix.
public final class Tape: @unchecked Sendable {
  @TaskLocal static var active: Tape?
  var entries: [TapeEntry] = []

  public init() {}

  /// Runs `body` with this tape recording.
  public func record<R>(_ body: () throws -> R) rethrows -> R {
    try Tape.$active.withValue(self) { try body() }
  }

  /// Runs `body` with no tape recording (e.g. an evaluation inside a training step).
  public static func withoutRecording<R>(_ body: () throws -> R) rethrows -> R {
    try Tape.$active.withValue(nil) { try body() }
  }

  /// Whether a tape records now.
  public static var isRecording: Bool { active != nil }

  /// Appends an entry when a tape records and any input requires a gradient.
  static func record(_ op: Op, inputs: [Tensor], output: Tensor, saved: [Tensor] = []) {
    guard let tape = active, inputs.contains(where: \.requiresGrad) else { return }
    output.requiresGrad = true
    tape.entries.append(TapeEntry(op: op, inputs: inputs, output: output, saved: saved))
  }

  /// Back-propagates from `loss` (a scalar): every leaf tensor that requires a gradient gets it
  /// added to its `grad` (created as zeros when absent; parameters use their arena slot). The
  /// tape is empty afterwards.
  public func backward(_ loss: Tensor) {
    precondition(loss.count == 1, "backward starts from a scalar; got shape \(loss.shape)")
    let backend = loss.backend
    var gradients: [ObjectIdentifier: Tensor] = [ObjectIdentifier(loss): Tensor.full(loss.shape, 1, on: backend)]
    let produced = Set(entries.map { ObjectIdentifier($0.output) })
    for entry in entries.reversed() {
      guard let upstream = gradients.removeValue(forKey: ObjectIdentifier(entry.output)) else { continue }
      let inputGradients = Tape.withoutRecording { entry.gradients(upstream) }
      for (input, gradient) in zip(entry.inputs, inputGradients) {
        guard input.requiresGrad, let gradient else { continue }
        let id = ObjectIdentifier(input)
        if produced.contains(id) {
          if let existing = gradients[id] {
            // A rule may hand the same tensor to several inputs: sum into a new one, never in place.
            let sum = Tensor(empty: input.shape, on: backend)
            backend.execute(
              .binary(
                .add, out: sum.view, a: existing.view, b: gradient.view, shape: [sum.count], strideA: [1], strideB: [1])
            )
            gradients[id] = sum
          } else {
            gradients[id] = gradient
          }
        } else {
          let slot =
            input.grad
            ?? {
              let zeros = Tensor.zeros(input.shape, on: backend)
              input.grad = zeros
              return zeros
            }()
          backend.execute(.axpy(y: slot.view, x: gradient.view, alpha: 1))
        }
      }
    }
    entries.removeAll()
  }

  /// Forgets what was recorded without computing gradients.
  public func reset() { entries.removeAll() }
}
