import Testing

@testable import WorkbenchTensor

@Suite struct CPUOutOfMemoryTests {
  /// An allocation no machine grants (2^50 bytes) is an error `synchronize()` reports, not a crash;
  /// the work after it is skipped, and the backend works again afterwards.
  @Test func anAllocationThatFailsIsAnErrorAndTheBackendGoesOn() throws {
    let backend = CPUBackend.shared
    do {
      let huge = Tensor(empty: [1 << 48], on: backend)
      let small = Tensor(empty: [4], on: backend)
      backend.execute(.fill(small.view, 1))
      #expect(small.toArray().allSatisfy { $0.isNaN })  // reads after the failure cannot pass for results
      _ = huge
    }
    #expect(throws: CPUOutOfMemory.self) { try backend.synchronize() }
    let after = Tensor(empty: [4], on: backend)
    backend.execute(.fill(after.view, 2))
    try backend.synchronize()
    #expect(after.toArray() == [2, 2, 2, 2])
  }
}
