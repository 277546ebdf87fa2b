import Testing
import WorkbenchTensor

@Suite struct ParameterArenaTests {
  let cpu = CPUBackend.shared

  @Test func decayedParametersComeFirstAndViewsAreAligned() {
    let arena = ParameterArena(
      [ParameterSpec("bias", [3]), ParameterSpec("weight", [2, 5]), ParameterSpec("norm", [4])], on: cpu)
    #expect(arena.offsets == [64, 0, 128])
    #expect(arena.decayEnd == 64)
    #expect(arena.offsets.allSatisfy { $0 % 64 == 0 })
    arena["weight"].assign((0..<10).map(Float.init))
    #expect(arena.values.toArray()[0..<10] == ArraySlice((0..<10).map(Float.init)))
  }

  @Test func clippingScalesByMaxNormOverNormAsPyTorch() {
    let arena = ParameterArena([ParameterSpec("a", [2, 2]), ParameterSpec("b", [1])], on: cpu)
    arena["a"].grad!.assign([3, 0, 0, 0])
    arena["b"].grad!.assign([4])
    let squared = arena.clipGradients(maxNorm: 1)
    #expect(squared.item() == 25)
    let factor = Float(1) / (5 + 1e-6)
    #expect(arena["a"].grad!.toArray() == [3 * factor, 0, 0, 0])
    #expect(arena["b"].grad!.toArray() == [4 * factor])
    // Below the threshold nothing changes.
    arena["b"].grad!.assign([0.5])
    arena["a"].grad!.assign([0, 0, 0, 0])
    arena.clipGradients(maxNorm: 1)
    #expect(arena["b"].grad!.toArray() == [0.5])
  }

  @Test func adamWDecaysOnlyTheDecayedGroup() {
    let arena = ParameterArena([ParameterSpec("w", [1, 1]), ParameterSpec("b", [1])], on: cpu)
    arena["w"].assign([1])
    arena["b"].assign([1])
    arena.adamWStep(learningRate: 0.1, weightDecay: 0.5)  // zero gradients: only decay moves p
    #expect(arena["w"].toArray() == [0.95])
    #expect(arena["b"].toArray() == [1])
  }
}
