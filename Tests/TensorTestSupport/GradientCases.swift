import Foundation
import WorkbenchTensor

private func unaryCase(_ op: UnaryOp, _ range: (Double, Double), _ f: @escaping @Sendable (Double) -> Double)
  -> GradientCase
{
  GradientCase("\(op)", [[3, 5]], ranges: [range], forward: { $0[0].unary(op) }, reference: { $0[0].map(f) })
}

private func matmulCase(_ name: String, _ sa: [Int], _ sb: [Int], _ ta: Bool, _ tb: Bool) -> GradientCase {
  GradientCase(
    name, [sa, sb], forward: { Tensor.matmul($0[0], $0[1], transposeA: ta, transposeB: tb) },
    reference: { Reference.matmul($0[0], sa, $0[1], sb, transposeA: ta, transposeB: tb) })
}

/// Every differentiable op, as a loss whose gradient is checked against central finite
/// differences of a float64 reference: run on the CPU under every kernel set and on Vulkan.
public let gradientCases: [GradientCase] = [
  GradientCase(
    "add broadcast", [[2, 3, 4], [4]], forward: { $0[0] + $0[1] },
    reference: { Reference.binary($0[0], [2, 3, 4], $0[1], [4], +) }),
  GradientCase(
    "subtract broadcast", [[2, 3], [2, 1]], forward: { $0[0] - $0[1] },
    reference: { Reference.binary($0[0], [2, 3], $0[1], [2, 1], -) }),
  GradientCase(
    "multiply broadcast", [[3, 1, 4], [2, 4]], forward: { $0[0] * $0[1] },
    reference: { Reference.binary($0[0], [3, 1, 4], $0[1], [2, 4], *) }),
  GradientCase(
    "divide", [[2, 3], [2, 3]], ranges: [(-1, 1), (0.5, 1.5)], forward: { $0[0] / $0[1] },
    reference: { Reference.binary($0[0], [2, 3], $0[1], [2, 3], /) }),
  GradientCase("affine", [[4, 2]], forward: { $0[0] * 2.5 + 1 }, reference: { $0[0].map { $0 * 2.5 + 1 } }),
  unaryCase(.negate, (-1, 1)) { -$0 },
  unaryCase(.exp, (-1, 1)) { exp($0) },
  unaryCase(.log, (0.5, 2)) { log($0) },
  unaryCase(.sqrt, (0.5, 2)) { $0.squareRoot() },
  unaryCase(.tanh, (-2, 2)) { tanh($0) },
  unaryCase(.square, (-1, 1)) { $0 * $0 },
  unaryCase(.reciprocal, (0.5, 2)) { 1 / $0 },
  unaryCase(.relu, (-1, 1)) { max(0, $0) },
  unaryCase(.gelu, (-3, 3)) { Reference.gelu($0) },
  matmulCase("matmul", [3, 4], [4, 5], false, false),
  matmulCase("matmul Aᵀ", [4, 3], [4, 5], true, false),
  matmulCase("matmul Bᵀ", [3, 4], [5, 4], false, true),
  matmulCase("matmul AᵀBᵀ", [4, 3], [5, 4], true, true),
  matmulCase("batched matmul", [2, 3, 4], [2, 4, 5], false, false),
  matmulCase("batched matmul shared B", [2, 3, 4], [4, 5], false, false),
  matmulCase("batched matmul shared Bᵀ", [2, 3, 4], [5, 4], false, true),
  matmulCase("batched matmul Aᵀ shared B", [2, 4, 3], [4, 5], true, false),
  GradientCase(
    "linear (bias in the multiply)", [[2, 3, 4], [4, 5], [5]], forward: { Tensor.linear($0[0], $0[1], bias: $0[2]) },
    reference: { inputs in
      Reference.binary(
        Reference.matmul(inputs[0], [6, 4], inputs[1], [4, 5], transposeA: false, transposeB: false), [6, 5],
        inputs[2], [5], +)
    }),
  GradientCase(
    "sum axis", [[2, 3, 4]], forward: { $0[0].sum(axis: 1) }, reference: { Reference.sum($0[0], [2, 3, 4], axis: 1) }),
  GradientCase(
    "mean axis keepDims", [[2, 3, 4]], forward: { $0[0].mean(axis: 2, keepDims: true) },
    reference: { Reference.sum($0[0], [2, 3, 4], axis: 2, scale: 0.25) }),
  GradientCase("sum all", [[3, 4]], forward: { $0[0].sum() }, reference: { [$0[0].reduce(0, +)] }),
  GradientCase(
    "permute", [[2, 3, 4]], forward: { $0[0].permuted([2, 0, 1]) },
    reference: { Reference.permute($0[0], [2, 3, 4], [2, 0, 1]) }),
  GradientCase(
    "slice", [[2, 4, 3]], forward: { $0[0].slice(axis: 1, 1..<3) },
    reference: { Reference.slice($0[0], [2, 4, 3], axis: 1, 1..<3) }),
  GradientCase(
    "reshape", [[2, 6], [3, 4]], forward: { $0[0].reshaped([3, 4]) * $0[1] }, reference: { zip($0[0], $0[1]).map(*) }),
  GradientCase(
    "layerNorm", [[3, 8], [8], [8]], ranges: [(-2, 2), (0.5, 1.5), (-1, 1)],
    forward: { $0[0].layerNorm(weight: $0[1], bias: $0[2]) },
    reference: { Reference.layerNorm($0[0], $0[1], $0[2], columns: 8) }),
  GradientCase(
    "attention", [[2, 5, 24]], forward: { $0[0].attention(heads: 2) },
    reference: { Reference.attention($0[0], batch: 2, time: 5, channels: 8, heads: 2) }),
  GradientCase(
    "attention across key blocks", [[1, 70, 12]], forward: { $0[0].attention(heads: 2) },
    reference: { Reference.attention($0[0], batch: 1, time: 70, channels: 4, heads: 2) }),
  GradientCase(
    "crossEntropy with an ignored row", [[4, 5]], ranges: [(-2, 2)],
    forward: {
      $0[0].softmaxCrossEntropy(targets: Tensor(ids: [1, -1, 4, 0], shape: [4], on: $0[0].backend), normalizer: 3)
    },
    reference: { [Reference.crossEntropy($0[0], vocabulary: 5, targets: [1, -1, 4, 0], normalizer: 3)] }),
  GradientCase(
    "embedding", [[7, 3]],
    forward: { Tensor.embedding(Tensor(ids: [2, 5, 2, 0], shape: [2, 2], on: $0[0].backend), table: $0[0]) },
    reference: { table in [2, 5, 2, 0].flatMap { Array(table[0][($0 * 3)..<($0 * 3 + 3)]) } }),
]
