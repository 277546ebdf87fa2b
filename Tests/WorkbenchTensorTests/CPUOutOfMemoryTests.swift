import Testing

@testable import WorkbenchTensor

@Suite struct CPUOutOfMemoryTests {
  /// An allocation no machine grants (2^50 bytes) is an error `synchronize()` reports, not a crash:
  /// while a tensor of the failed work is alive, kernels are skipped, reads give NaN and every
  /// `synchronize()` throws; once it is gone the backend works again. (A backend of its own, so
  /// that tests running beside this one on the shared backend see no failure.)
  @Test func anAllocationThatFailsIsAnErrorUntilItsTensorsAreGone() throws {
    let backend = CPUBackend(configuringThreads: false)
    var huge: Tensor? = Tensor(empty: [1 << 48], on: backend)
    #expect(backend.hasFailed)
    let small = Tensor(empty: [4], on: backend)
    backend.execute(.fill(small.view, 1))
    #expect(small.toArray().allSatisfy { $0.isNaN })  // reads cannot pass for results
    #expect(throws: CPUOutOfMemory.self) { try backend.synchronize() }
    #expect(throws: CPUOutOfMemory.self) { try backend.synchronize() }  // still: the tensor lives
    huge = nil
    #expect(!backend.hasFailed && huge == nil)
    try backend.synchronize()
    backend.execute(.fill(small.view, 2))
    #expect(small.toArray() == [2, 2, 2, 2])
  }
}
