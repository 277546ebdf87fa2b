import Foundation
import TensorTestSupport
import Testing
import WorkbenchTensor
import WorkbenchTestSupport

private let cpu = CPUBackend.shared

@Suite struct GradientCheckTests {
  /// Every case under every kernel set this processor runs (baseline, AVX2, AVX-512).
  @Test(arguments: gradientCases, CPUFeatures.host.runnableKernelSets)
  func gradientMatchesFiniteDifferencesOfFloat64Reference(_ testCase: GradientCase, _ kernels: CPUKernelSet) {
    CPUKernelRuntime.withKernelSet(kernels) { testCase.check(on: cpu) }
  }

  /// Swift's ops are exactly the op codes of wb_ops.h (which the C kernels and shaders read).
  @Test func theOpsAreTheCodesOfTheSharedHeader() {
    #expect(UnaryOp.allCases.map(\.code) == (0..<Int32(UnaryOp.definedInC)).map { $0 })
    #expect(BinaryOp.allCases.map(\.code) == (0..<Int32(BinaryOp.definedInC)).map { $0 })
  }

  @Test func gradientsAccumulateOverRepeatedUse() {
    let x = Tensor([1, 2, 3], shape: [3], on: cpu).requiringGrad()
    let tape = Tape()
    let y = tape.record { (x * x + x).sum() }
    tape.backward(y)
    #expect(x.grad?.toArray() == [3, 5, 7])
  }

  @Test func noTapeRecordsNothing() {
    let x = Tensor([1, 2], shape: [2], on: cpu).requiringGrad()
    let y = x * x
    #expect(!y.requiresGrad)
  }
}
