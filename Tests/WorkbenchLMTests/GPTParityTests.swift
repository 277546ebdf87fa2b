import Foundation
import TensorTestSupport
import Testing
import VulkanTestSupport
import WorkbenchLM
import WorkbenchNN
import WorkbenchTensor
import WorkbenchTestSupport

/// One PyTorch fixture of `../shared/reference/gpt-parity/`.
struct ParityFixture {
  let name: String
  let config: GPTConfig
  let batch: Int
  let keyBiasRanges: [Range<Int>]
  let maxGradient: Double

  init(_ name: String) throws {
    self.name = name
    let manifest =
      try JSONSerialization.jsonObject(with: try SharedReference.data("gpt-parity/\(name)/manifest.json"))
      as! [String: Any]
    let c = manifest["config"] as! [String: Any]
    config = GPTConfig(
      layers: c["n_layer"] as! Int, width: c["d_model"] as! Int, heads: c["n_head"] as! Int,
      context: c["context_T"] as! Int,
      vocabulary: c["vocab_size"] as! Int)
    batch = c["batch_B"] as! Int
    keyBiasRanges = (manifest["key_bias_element_ranges"] as! [[Int]]).map { $0[0]..<$0[1] }
    maxGradient = manifest["grads_max_abs"] as! Double
  }

  /// A GPT of the fixture's shape holding its initial parameters.
  func model(on backend: any Backend) throws -> GPT {
    let model = GPT(config, on: backend, seed: 0)
    model.load(try floats("params.f32"))
    return model
  }

  func floats(_ file: String) throws -> [Float] { try SharedReference.floats("gpt-parity/\(name)/\(file)") }
  func tokens(_ file: String, on backend: any Backend) throws -> Tensor {
    Tensor(ids: try SharedReference.int32s("gpt-parity/\(name)/\(file)"), shape: [batch, config.context], on: backend)
  }
}

/// Where the parity tests run: the CPU under every kernel set this processor runs (baseline,
/// AVX2, AVX-512), and the Vulkan test device (lavapipe in CI, with the validation layer) where
/// there is one.
struct ParityDevice: CustomTestStringConvertible, Sendable {
  /// The CPU kernel set, or nil for the Vulkan test device.
  let kernels: CPUKernelSet?

  var backend: (any Backend)? { kernels != nil ? CPUBackend.shared : TestVulkan.backend }
  var testDescription: String { kernels.map { "cpu \($0.rawValue)" } ?? "vulkan" }

  /// Runs `body` with this device's kernels.
  func run(_ body: () throws -> Void) rethrows {
    if let kernels { try CPUKernelRuntime.withKernelSet(kernels, body) } else { try body() }
  }

  static var available: [ParityDevice] {
    CPUFeatures.host.runnableKernelSets.map { ParityDevice(kernels: $0) }
      + (TestVulkan.backend != nil ? [ParityDevice(kernels: nil)] : [])
  }
}

/// The parity checks for both fixtures on every available device.
let parityCases: [(String, ParityDevice)] = ["tiny", "small"].flatMap { name in
  ParityDevice.available.map { (name, $0) }
}

@Suite(.enabled(if: SharedReference.available, "../shared/reference is absent: PyTorch parity tests skipped"))
struct GPTParityTests {
  @Test(arguments: parityCases)
  func logitsLossAndGradientsMatchPyTorch(_ name: String, _ device: ParityDevice) throws {
    try device.run {
      let fixture = try ParityFixture(name)
      let backend = try #require(device.backend)
      let model = try fixture.model(on: backend)
      let tokens = try fixture.tokens("tokens.i32", on: backend)
      let targets = try fixture.tokens("targets.i32", on: backend)
      #expect(fixture.config.nonEmbeddingParameters == model.config.nonEmbeddingParameters)
      #expect(model.flat().count == fixture.config.totalParameters)

      let tape = Tape()
      let logits = tape.record { model.logits(tokens) }
      expectClose(
        logits.toArray(), try fixture.floats("logits.f32").map(Double.init), tolerance: 1e-5, "\(name) logits")
      let loss = tape.record { logits.softmaxCrossEntropy(targets: targets.reshaped([targets.count])) }
      let expectedLoss = try SharedReference.numbers("gpt-parity/\(name)/loss.txt")[0]
      #expect(abs(Double(loss.item()) - expectedLoss) <= 1e-5, "\(name) loss \(loss.item()) vs \(expectedLoss)")

      model.arena.zeroGradients()
      tape.backward(loss)
      var gradients = model.flat(gradients: true)
      var expected = try fixture.floats("grads.f32")
      for range in fixture.keyBiasRanges {
        expectClose(
          Array(gradients[range]), expected[range].map(Double.init), tolerance: 1e-8, "\(name) key-bias gradients")
        gradients.replaceSubrange(range, with: [Float](repeating: 0, count: range.count))
        expected.replaceSubrange(range, with: [Float](repeating: 0, count: range.count))
      }
      expectClose(gradients, expected.map(Double.init), tolerance: 1e-5 * fixture.maxGradient, "\(name) gradients")
    }
  }

  @Test(arguments: parityCases)
  func oneAdamWStepMatchesPyTorch(_ name: String, _ device: ParityDevice) throws {
    try device.run {
      let fixture = try ParityFixture(name)
      let backend = try #require(device.backend)
      let model = try fixture.model(on: backend)
      // The reference gradients go straight into the gradient arena: this checks the optimizer alone.
      let reference = GPT(fixture.config, on: backend, seed: 0)
      reference.load(try fixture.floats("grads.f32"))
      model.arena.gradients.copy(from: reference.arena.values)
      model.arena.adamWStep(learningRate: 1e-3, weightDecay: 0.1)
      expectClose(
        model.flat(), try fixture.floats("params_after1.f32").map(Double.init), tolerance: 1e-6, "\(name) after 1 step")
    }
  }

  @Test(arguments: parityCases)
  func tenAdamWStepsMatchPyTorch(_ name: String, _ device: ParityDevice) throws {
    try device.run {
      let fixture = try ParityFixture(name)
      let backend = try #require(device.backend)
      let model = try fixture.model(on: backend)
      let tokens = try fixture.tokens("tokens.i32", on: backend)
      let targets = try fixture.tokens("targets.i32", on: backend)
      let optimizer = AdamW(schedule: .constant(peak: 1e-3), weightDecay: 0.1, clipNorm: nil)
      var losses: [Double] = []
      for step in 0..<10 {
        let tape = Tape()
        let loss = tape.record { model.loss(tokens, targets: targets) }
        losses.append(Double(loss.item()))
        model.arena.zeroGradients()
        tape.backward(loss)
        optimizer.step(model.arena, step: step, totalSteps: 10)
      }
      expectClose(
        losses.map(Float.init), try SharedReference.numbers("gpt-parity/\(name)/losses_adamw.txt"), tolerance: 1e-5,
        "\(name) losses")
      var after = model.flat()
      var expected = try fixture.floats("params_after10.f32")
      for range in fixture.keyBiasRanges {
        after.replaceSubrange(range, with: [Float](repeating: 0, count: range.count))
        expected.replaceSubrange(range, with: [Float](repeating: 0, count: range.count))
      }
      expectClose(after, expected.map(Double.init), tolerance: 1e-5, "\(name) after 10 steps")
    }
  }

  @Test func accountingMatchesTheFixtures() throws {
    for name in ["tiny", "small"] {
      let manifest =
        try JSONSerialization.jsonObject(with: try SharedReference.data("gpt-parity/\(name)/manifest.json"))
        as! [String: Any]
      let fixture = try ParityFixture(name)
      #expect(fixture.config.nonEmbeddingParameters == manifest["N_nonembedding"] as! Int)
      #expect(fixture.config.kaplanParameters == manifest["N_nonembedding_formula_12_L_d2"] as! Int)
      #expect(fixture.config.totalParameters == manifest["total_params"] as! Int)
    }
  }
}
