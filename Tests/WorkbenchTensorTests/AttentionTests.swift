import TensorTestSupport
import Testing
import WorkbenchTensor
import WorkbenchTestSupport

private let cpu = CPUBackend.shared

/// Causal attention composed of primitive ops (slices, permutes, matrix multiplies, exp, sums),
/// whose gradients the finite-difference checks cover: softmax(Q·Kᵀ/√hs + mask)·V per head.
private func composedAttention(_ qkv: Tensor, heads: Int) -> Tensor {
  let (batch, time, width) = (qkv.shape[0], qkv.shape[1], qkv.shape[2] / 3)
  let size = width / heads
  func split(_ part: Int) -> Tensor {
    qkv.slice(axis: 2, (part * width)..<((part + 1) * width)).reshaped([batch, time, heads, size]).permuted([
      0, 2, 1, 3,
    ])
  }
  let (q, k, v) = (split(0), split(1), split(2))
  var mask = [Float](repeating: 0, count: time * time)
  for i in 0..<time {
    for j in (i + 1)..<max(i + 1, time) { mask[i * time + j] = -1e4 }
  }
  let scores = Tensor.matmul(q, k, transposeB: true) * (1 / Float(size).squareRoot())
  let weights = (scores + Tensor(mask, shape: [time, time], on: cpu)).exp()
  let probabilities = weights / weights.sum(axis: 3, keepDims: true)
  return Tensor.matmul(probabilities, v).permuted([0, 2, 1, 3]).reshaped([batch, time, width])
}

@Suite struct AttentionTests {
  /// The fused kernel's tiles (6×16 register tiles, 64-key blocks, the causal edge of diagonal
  /// tiles, partial blocks) against the composed ops, forward and backward, under every kernel set.
  @Test(arguments: [(2, 130, 64, 2), (1, 192, 256, 4), (3, 70, 24, 1)], CPUFeatures.host.runnableKernelSets)
  func fusedAttentionMatchesComposedOps(_ shape: (Int, Int, Int, Int), _ kernels: CPUKernelSet) {
    let (batch, time, width, heads) = shape
    CPUKernelRuntime.withKernelSet(kernels) {
      var random = TestRandom(seed: UInt64(time * 31 + width))
      let values = random.values(batch * time * 3 * width, -1.5, 1.5).map { Float($0) }
      let upstream = Tensor(
        random.values(batch * time * width).map { Float($0) }, shape: [batch, time, width], on: cpu)
      var outputs: [[Float]] = []
      var gradients: [[Float]] = []
      for fused in [true, false] {
        let qkv = Tensor(values, shape: [batch, time, 3 * width], on: cpu).requiringGrad()
        let tape = Tape()
        let out = tape.record { fused ? qkv.attention(heads: heads) : composedAttention(qkv, heads: heads) }
        let loss = tape.record { (out * upstream).sum() }
        tape.backward(loss)
        outputs.append(out.toArray())
        gradients.append(qkv.grad?.toArray() ?? [])
      }
      let label = "\(kernels) B\(batch) T\(time) C\(width) H\(heads)"
      expectClose(outputs[0], outputs[1].map(Double.init), tolerance: 2e-5, "\(label) forward")
      expectClose(gradients[0], gradients[1].map(Double.init), tolerance: 5e-5, "\(label) gradient")
    }
  }
}
