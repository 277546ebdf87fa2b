import Testing
import WorkbenchRandom
import WorkbenchTensor

/// Shapes that cover whole tiles, every kind of edge, K across several 256-deep slices and
/// M across several row blocks, for every tile shape (6×8, 6×16, 14×32).
private let shapes: [(m: Int, n: Int, k: Int)] = [
  (1, 1, 1), (5, 7, 3), (6, 16, 64), (14, 32, 256), (13, 33, 17), (37, 53, 300), (64, 64, 32), (100, 70, 513),
  (197, 45, 9),
]

@Suite struct GemmTests {
  @Test(arguments: CPUGemmBuild.runnable)
  func ownMultiplyMatchesFloat64Reference(_ build: CPUGemmBuild) {
    var generator = SeededGenerator(seed: 7, stream: "gemm")
    func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(generator.nextUnit() * 2 - 1) } }
    for (m, n, k) in shapes {
      for (transposeA, transposeB) in [(false, false), (true, false), (false, true), (true, true)] {
        for (alpha, beta, withBias) in [(Float(1), Float(0), false), (0.5, 2, false), (1, 0, true)] {
          let lda = (transposeA ? m : k) + 2, ldb = (transposeB ? k : n) + 1, ldc = n + 3
          let a = values((transposeA ? k : m) * lda), b = values((transposeB ? n : k) * ldb)
          var c = values(m * ldc)
          let before = c
          let bias = withBias ? values(n) : nil
          build.multiply(
            transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b,
            ldb: ldb, beta: beta, c: &c, ldc: ldc, bias: bias)
          var worst = 0.0
          var untouched = true
          for i in 0..<m {
            for j in 0..<ldc {
              guard j < n else {
                untouched = untouched && c[i * ldc + j] == before[i * ldc + j]
                continue
              }
              var sum = 0.0
              for p in 0..<k {
                let x = Double(transposeA ? a[p * lda + i] : a[i * lda + p])
                let y = Double(transposeB ? b[j * ldb + p] : b[p * ldb + j])
                sum += x * y
              }
              let expected =
                Double(alpha) * sum + Double(beta) * Double(before[i * ldc + j]) + Double(bias?[j] ?? 0)
              worst = max(worst, abs(Double(c[i * ldc + j]) - expected))
            }
          }
          let label =
            "\(build) \(m)×\(n)×\(k) A\(transposeA ? "ᵀ" : "") B\(transposeB ? "ᵀ" : "") α \(alpha) β \(beta)"
            + (withBias ? " + bias" : "")
          #expect(worst <= 1e-6 * Double(k) + 1e-6, "\(label): worst error \(worst)")
          #expect(untouched, "\(label) wrote past column n")
        }
      }
    }
  }
}
