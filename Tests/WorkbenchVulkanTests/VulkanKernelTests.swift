import Foundation
import TensorTestSupport
import Testing
import VulkanTestSupport
import WorkbenchTensor
import WorkbenchTestSupport
import WorkbenchVulkan

/// Runs one kernel on the CPU backend (the reference) and on the Vulkan test device, over buffers
/// that start with the same contents, then compares every buffer — inputs included, which catches
/// writes out of place — and checks that the validation layer said nothing.
func expectSameOnBoth(
  _ what: String, floats: [[Float]], ints: [[Int32]] = [], tolerance: Double = 2e-5,
  sourceLocation: SourceLocation = #_sourceLocation, _ kernel: (_ f: [BufferView], _ i: [BufferView]) -> Kernel
) {
  guard let gpu = TestVulkan.backend else { return }
  let before = gpu.validationMessages
  func run(on backend: any Backend) -> [[Float]] {
    let f = floats.map { Tensor($0, shape: [$0.count], on: backend) }
    let i = ints.map { Tensor(ids: $0, shape: [$0.count], on: backend) }
    backend.execute(kernel(f.map(\.view), i.map(\.view)))
    return f.map { $0.toArray() }
  }
  let expected = run(on: CPUBackend.shared)
  let actual = run(on: gpu)
  for (index, (a, e)) in zip(actual, expected).enumerated() {
    var worst = (at: -1, error: 0.0)
    for (j, (x, y)) in zip(a, e).enumerated() {
      let error = abs(Double(x) - Double(y)) / (1 + abs(Double(y)))
      if !(error <= worst.error) { worst = (j, error) }
    }
    #expect(
      worst.error <= tolerance,
      "\(what): buffer \(index) differs at \(worst.at): \(worst.at >= 0 ? a[worst.at] : 0) on Vulkan, \(worst.at >= 0 ? e[worst.at] : 0) on the CPU (relative error \(worst.error))",
      sourceLocation: sourceLocation)
  }
  #expect(
    gpu.validationMessages == before, "\(what): the validation layer reported problems", sourceLocation: sourceLocation)
}

func randomFloats(_ count: Int, seed: UInt64, _ lo: Double = -1, _ hi: Double = 1) -> [Float] {
  var random = TestRandom(seed: seed)
  return random.values(count, lo, hi).map(Float.init)
}

@Suite(.enabled(if: TestVulkan.available, Comment(rawValue: TestVulkan.skipMessage)))
struct VulkanKernelTests {
  /// The same finite-difference gradient checks as the CPU's (`gradientCases`), every op's
  /// backward on the device against a float64 reference, with the validation layer silent.
  @Test(arguments: gradientCases)
  func gradientMatchesFiniteDifferencesOfFloat64Reference(_ testCase: GradientCase) throws {
    let gpu = try #require(TestVulkan.backend)
    let before = gpu.validationMessages
    testCase.check(on: gpu)
    try gpu.synchronize()
    #expect(gpu.validationMessages == before, "\(testCase.name): the validation layer reported problems")
  }

  @Test func everyShaderInTheFolderIsBuiltInAndCompiles() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("shaders")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
      .filter { $0.hasSuffix(".comp") || $0.hasSuffix(".glsl") }
    let names = files.map { $0.hasSuffix(".comp") ? String($0.dropLast(5)) : $0 }
    // The shaders, and the headers the C kernels and Swift share with them.
    #expect(Set(names + ["wb_ops.h", "wb_push.h"]) == Set(VulkanBackend.shaderNames))
    let gpu = try #require(TestVulkan.backend)
    for name in VulkanBackend.shaderNames { try gpu.buildShader(name) }
    #expect(gpu.validationMessages == 0)
  }

  @Test(arguments: [1, 5, 1000, 70_001])
  func elementwise(_ n: Int) {
    let x = randomFloats(n, seed: 1), y = randomFloats(n, seed: 2)
    expectSameOnBoth("fill \(n)", floats: [x]) { f, _ in .fill(f[0], 0.75) }
    expectSameOnBoth("affine \(n)", floats: [x, y]) { f, _ in .affine(out: f[0], x: f[1], scale: -1.5, shift: 0.25) }
    expectSameOnBoth("axpy \(n)", floats: [x, y]) { f, _ in .axpy(y: f[0], x: f[1], alpha: 0.3) }
  }

  @Test(arguments: UnaryOp.allCases)
  func unary(_ op: UnaryOp) {
    let positive: Set<UnaryOp> = [.log, .sqrt, .reciprocal]
    let range: (Double, Double) = positive.contains(op) ? (0.2, 3) : (-6, 6)
    let n = 777
    let x = randomFloats(n, seed: 3, range.0, range.1)
    let dy = randomFloats(n, seed: 4)
    let y = CPUBackend.shared.run(op, x)
    expectSameOnBoth("\(op)", floats: [randomFloats(n, seed: 5), x]) { f, _ in .unary(op, out: f[0], x: f[1]) }
    expectSameOnBoth("\(op) backward", floats: [randomFloats(n, seed: 5), dy, x, y]) { f, _ in
      .unaryBackward(op, dx: f[0], dy: f[1], x: f[2], y: f[3])
    }
  }

  @Test(arguments: BinaryOp.allCases)
  func binaryWithBroadcasting(_ op: BinaryOp) {
    let a = randomFloats(24, seed: 6), b = randomFloats(24, seed: 7, 0.5, 2)
    // [2, 3, 4] op [4] (broadcast over the first two axes)
    expectSameOnBoth("\(op) [2,3,4]·[4]", floats: [randomFloats(24, seed: 8), a, b]) { f, _ in
      .binary(op, out: f[0], a: f[1], b: f[2], shape: [2, 3, 4], strideA: [12, 4, 1], strideB: [0, 0, 1])
    }
    // [3, 1, 4] op [2, 4] → [3, 2, 4]
    expectSameOnBoth("\(op) [3,1,4]·[2,4]", floats: [randomFloats(24, seed: 8), a, b]) { f, _ in
      .binary(op, out: f[0], a: f[1], b: f[2], shape: [3, 2, 4], strideA: [4, 0, 1], strideB: [0, 4, 1])
    }
    // eight axes, two of them broadcast: merged to fit the shader
    let shape = [2, 1, 2, 2, 1, 2, 2, 3]
    let dense = Tensor.strides(of: shape)
    expectSameOnBoth("\(op) rank 8", floats: [randomFloats(96, seed: 9), randomFloats(96, seed: 10), b]) { f, _ in
      .binary(op, out: f[0], a: f[1], b: f[2], shape: shape, strideA: dense, strideB: [0, 0, 0, 0, 0, 0, 3, 1])
    }
  }

  @Test func stridedCopiesAndTheirAdjoint() {
    let x = randomFloats(60, seed: 11)
    // permute [3, 4, 5] → [5, 3, 4]
    expectSameOnBoth("permute", floats: [randomFloats(60, seed: 12), x]) { f, _ in
      .stridedCopy(out: f[0], x: f[1], shape: [5, 3, 4], strideX: [1, 20, 5])
    }
    // rows 1..<3 of a [4, 15] matrix, from an offset view
    expectSameOnBoth("slice", floats: [randomFloats(30, seed: 13), x]) { f, _ in
      .stridedCopy(out: f[0], x: f[1].subview(15, count: 30), shape: [2, 15], strideX: [15, 1])
    }
    expectSameOnBoth("slice adjoint", floats: [x, randomFloats(20, seed: 14)]) { f, _ in
      .stridedAdd(x: f[0].subview(7, count: 40), y: f[1], shape: [4, 5], strideX: [10, 1])
    }
  }

  @Test func reductions() {
    let x = randomFloats(3 * 5 * 7, seed: 15)
    expectSameOnBoth("sum axis", floats: [randomFloats(21, seed: 16), x]) { f, _ in
      .sumAxis(out: f[0], x: f[1], outer: 3, axis: 5, inner: 7, scale: 0.5)
    }
    for n in [3, 10_000, 300_001] {
      expectSameOnBoth("sum of squares \(n)", floats: [[0], randomFloats(n, seed: 17)], tolerance: 1e-5) { f, _ in
        .sumSquares(out: f[0], x: f[1])
      }
    }
    for (norm, total) in [(0.5, Float(4)), (5, 4)] as [(Float, Float)] {
      expectSameOnBoth("clip to \(norm)", floats: [randomFloats(1000, seed: 18), [total]]) { f, _ in
        .clipByNorm(g: f[0], sumSquares: f[1], maxNorm: norm)
      }
    }
  }

  @Test(arguments: [(1, 1, 1), (7, 5, 3), (37, 29, 45), (64, 64, 64), (65, 130, 17)])
  func matmul(_ size: (Int, Int, Int)) {
    let (m, n, k) = size
    for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
      for (batch, shareB, beta) in [(1, false, Float(0)), (3, true, 0.5), (2, false, 1)] {
        let a = randomFloats(batch * m * k, seed: 19), b = randomFloats((shareB ? 1 : batch) * k * n, seed: 20)
        expectSameOnBoth(
          "matmul \(m)×\(n)×\(k) ta \(ta) tb \(tb) batch \(batch) shared B \(shareB) beta \(beta)",
          floats: [randomFloats(batch * m * n, seed: 21), a, b], tolerance: 1e-5
        ) { f, _ in
          .matmul(
            MatmulDescriptor(
              a: f[1], b: f[2], c: f[0], transposeA: ta, transposeB: tb, batch: batch, m: m, n: n, k: k,
              strideA: m * k, strideB: shareB ? 0 : k * n, strideC: m * n, alpha: 0.75, beta: beta))
        }
      }
    }
  }

  @Test(arguments: [(7, 33), (3, 300), (130, 8)])
  func layerNorm(_ shape: (Int, Int)) {
    let (rows, columns) = shape
    let x = randomFloats(rows * columns, seed: 22, -2, 3)
    let w = randomFloats(columns, seed: 23), b = randomFloats(columns, seed: 24)
    expectSameOnBoth(
      "layerNorm \(rows)×\(columns)",
      floats: [
        randomFloats(rows * columns, seed: 25), [Float](repeating: 0, count: rows), [Float](repeating: 0, count: rows),
        x, w, b,
      ]
    ) { f, _ in
      .layerNormForward(
        y: f[0], mean: f[1], rstd: f[2], x: f[3], weight: f[4], bias: f[5], rows: rows, columns: columns, eps: 1e-5)
    }
    // the saved statistics, as the forward pass leaves them
    let stats = CPUBackend.shared.layerNormStatistics(x, rows: rows, columns: columns)
    expectSameOnBoth(
      "layerNorm backward \(rows)×\(columns)",
      floats: [
        randomFloats(rows * columns, seed: 26), randomFloats(columns, seed: 27), randomFloats(columns, seed: 28),
        randomFloats(rows * columns, seed: 29), x, w, stats.mean, stats.rstd,
      ]
    ) { f, _ in
      .layerNormBackward(
        dx: f[0], dWeight: f[1], dBias: f[2], dy: f[3], x: f[4], weight: f[5], mean: f[6], rstd: f[7], rows: rows,
        columns: columns)
    }
  }

  @Test(arguments: [(2, 1, 32, 4), (2, 17, 32, 4), (1, 70, 64, 2), (2, 130, 48, 3)])
  func attention(_ shape: (Int, Int, Int, Int)) {
    let (batch, time, channels, heads) = shape
    let qkv = randomFloats(batch * time * 3 * channels, seed: 30, -2, 2)
    let rows = batch * time * channels, lseCount = batch * heads * time
    expectSameOnBoth(
      "attention B\(batch) T\(time) C\(channels) H\(heads)",
      floats: [randomFloats(rows, seed: 31), randomFloats(lseCount, seed: 32), qkv]
    ) { f, _ in
      .attentionForward(out: f[0], lse: f[1], qkv: f[2], batch: batch, time: time, channels: channels, heads: heads)
    }
    let out = Tensor.empty([rows]), lse = Tensor.empty([lseCount])
    let q = Tensor(qkv, shape: [qkv.count], on: CPUBackend.shared)
    CPUBackend.shared.execute(
      .attentionForward(
        out: out.view, lse: lse.view, qkv: q.view, batch: batch, time: time, channels: channels, heads: heads))
    expectSameOnBoth(
      "attention backward B\(batch) T\(time) C\(channels) H\(heads)",
      floats: [randomFloats(qkv.count, seed: 33), randomFloats(rows, seed: 34), qkv, out.toArray(), lse.toArray()]
    ) { f, _ in
      .attentionBackward(
        dqkv: f[0], dOut: f[1], qkv: f[2], out: f[3], lse: f[4], batch: batch, time: time, channels: channels,
        heads: heads)
    }
    let capacity = time + 3
    let cache = randomFloats(batch * capacity * 3 * channels, seed: 35)
    for position in Set([0, time / 2, time - 1]) {
      expectSameOnBoth(
        "attention decode at \(position) B\(batch) C\(channels) H\(heads)",
        floats: [randomFloats(batch * channels, seed: 36), cache]
      ) { f, _ in
        .attentionDecode(
          out: f[0], cache: f[1], batch: batch, position: position, capacity: capacity, channels: channels, heads: heads
        )
      }
    }
  }

  @Test(arguments: [(5, 300), (64, 256), (3, 7)])
  func crossEntropy(_ shape: (Int, Int)) {
    let (rows, vocabulary) = shape
    let logits = randomFloats(rows * vocabulary, seed: 37, -4, 4)
    let targets = (0..<rows).map { Int32($0 == 1 ? -1 : ($0 * 37) % vocabulary) }
    expectSameOnBoth(
      "cross-entropy \(rows)×\(vocabulary)", floats: [randomFloats(rows, seed: 38), logits], ints: [targets]
    ) {
      f, i in .crossEntropyForward(losses: f[0], logits: f[1], targets: i[0], rows: rows, vocabulary: vocabulary)
    }
    expectSameOnBoth(
      "cross-entropy backward \(rows)×\(vocabulary)",
      floats: [randomFloats(rows * vocabulary, seed: 39), logits, [1.5]], ints: [targets]
    ) { f, i in
      .crossEntropyBackward(
        dLogits: f[0], logits: f[1], targets: i[0], dLoss: f[2], rows: rows, vocabulary: vocabulary, scale: 0.25)
    }
  }

  @Test func embeddingWithRepeatedIds() {
    let rows = 50, columns = 37, vocabulary = 11
    let ids = (0..<rows).map { Int32(($0 * 7) % vocabulary) }
    expectSameOnBoth(
      "embedding", floats: [randomFloats(rows * columns, seed: 40), randomFloats(vocabulary * columns, seed: 41)],
      ints: [ids]
    ) { f, i in .embeddingForward(out: f[0], table: f[1], ids: i[0], rows: rows, columns: columns) }
    expectSameOnBoth(
      "embedding backward",
      floats: [randomFloats(vocabulary * columns, seed: 42), randomFloats(rows * columns, seed: 43)], ints: [ids]
    ) { f, i in .embeddingBackward(dTable: f[0], dOut: f[1], ids: i[0], rows: rows, columns: columns) }
  }

  @Test func adamW() {
    let n = 1234
    let v = randomFloats(n, seed: 44, 0, 0.01)
    expectSameOnBoth(
      "adamW", floats: [randomFloats(n, seed: 45), randomFloats(n, seed: 46), randomFloats(n, seed: 47, -0.1, 0.1), v]
    ) { f, _ in
      .adamW(
        parameters: f[0], gradients: f[1], m: f[2], v: f[3], learningRate: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8,
        weightDecay: 0.1, step: 7)
    }
  }
}

extension CPUBackend {
  /// op(x) on the CPU: the `y` a unary backward kernel is given.
  func run(_ op: UnaryOp, _ x: [Float]) -> [Float] {
    let input = Tensor(x, shape: [x.count], on: self), output = Tensor(empty: [x.count], on: self)
    execute(.unary(op, out: output.view, x: input.view))
    return output.toArray()
  }

  /// The mean and rstd a LayerNorm forward pass saves.
  func layerNormStatistics(_ x: [Float], rows: Int, columns: Int) -> (mean: [Float], rstd: [Float]) {
    let input = Tensor(x, shape: [x.count], on: self), y = Tensor(empty: [x.count], on: self)
    let mean = Tensor(empty: [rows], on: self), rstd = Tensor(empty: [rows], on: self)
    let ones = Tensor.full([columns], 1, on: self), zeros = Tensor.zeros([columns], on: self)
    execute(
      .layerNormForward(
        y: y.view, mean: mean.view, rstd: rstd.view, x: input.view, weight: ones.view, bias: zeros.view, rows: rows,
        columns: columns, eps: 1e-5))
    return (mean.toArray(), rstd.toArray())
  }
}

extension Tensor {
  static func empty(_ shape: [Int]) -> Tensor { Tensor(empty: shape, on: CPUBackend.shared) }
}

@Suite(.enabled(if: TestVulkan.available, Comment(rawValue: TestVulkan.skipMessage)))
struct VulkanFailureTests {
  /// A tensor larger than the device can allocate: the op after it is skipped, `synchronize()`
  /// throws an out-of-memory error that says what to do, and the backend works again afterwards.
  @Test func outOfMemoryIsReportedBySynchronizeAndRecoverable() throws {
    let index = try #require(TestVulkan.backend).device.index
    let gpu = try VulkanBackend(index: index, validation: true)  // its own context: others run meanwhile
    let huge = Tensor(empty: [1 << 30], on: gpu)  // 4 GiB
    gpu.execute(.fill(huge.view, 1))
    #expect(throws: VulkanError.self) { try gpu.synchronize() }
    do {
      try gpu.synchronize()
    } catch {
      Issue.record("the failure was reported twice: \(error)")
    }
    let small = Tensor([1, 2, 3], shape: [3], on: gpu)
    gpu.execute(.affine(out: small.view, x: small.view, scale: 2, shift: 1))
    #expect(small.toArray() == [3, 5, 7])
    try gpu.synchronize()
    #expect(gpu.validationMessages == 0)
  }

  @Test func theFailureMessageNamesTheSizeAndTheWayOut() throws {
    let index = try #require(TestVulkan.backend).device.index
    let gpu = try VulkanBackend(index: index)
    _ = Tensor(empty: [1 << 30], on: gpu)
    do {
      try gpu.synchronize()
      Issue.record("no error for a 4 GiB tensor")
    } catch let error as VulkanError {
      #expect(error.code == .outOfDeviceMemory)
      #expect(
        error.message.contains("4294967296 bytes") && error.message.contains("smaller model or batch"), "\(error)")
    }
  }
}
