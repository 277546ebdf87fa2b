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

  /// The fixture's model with its input tokens and targets on `backend`.
  func loaded(on backend: any Backend) throws -> (model: GPT, tokens: Tensor, targets: Tensor) {
    (try model(on: backend), try tokens("tokens.i32", on: backend), try tokens("targets.i32", on: backend))
  }

  /// `values` (all parameters, or all gradients) with the key biases' elements set to 0: their
  /// gradients are 0 in exact arithmetic (softmax ignores a shift shared by a row), so the tests
  /// compare them on their own, in absolute terms.
  func withoutKeyBiases(_ values: [Float]) -> [Float] {
    var values = values
    for range in keyBiasRanges { values.replaceSubrange(range, with: [Float](repeating: 0, count: range.count)) }
    return values
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

  /// Runs `body` with this device's kernels on fixture `name` and this device's backend.
  func run(_ name: String, _ body: (ParityFixture, any Backend) throws -> Void) throws {
    let fixture = try ParityFixture(name)
    let backend = try #require(self.backend)
    if let kernels {
      try CPUKernelRuntime.withKernelSet(kernels) { try body(fixture, backend) }
    } else {
      try body(fixture, backend)
    }
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
    try device.run(name) { fixture, backend in
      let (model, tokens, targets) = try fixture.loaded(on: backend)
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
      let gradients = model.flat(gradients: true)
      let expected = try fixture.floats("grads.f32")
      for range in fixture.keyBiasRanges {
        expectClose(
          Array(gradients[range]), expected[range].map(Double.init), tolerance: 1e-8, "\(name) key-bias gradients")
      }
      expectClose(
        fixture.withoutKeyBiases(gradients), fixture.withoutKeyBiases(expected).map(Double.init),
        tolerance: 1e-5 * fixture.maxGradient, "\(name) gradients")
    }
  }

  @Test(arguments: parityCases)
  func oneAdamWStepMatchesPyTorch(_ name: String, _ device: ParityDevice) throws {
    try device.run(name) { fixture, backend in
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
    try device.run(name) { fixture, backend in
      let (model, tokens, targets) = try fixture.loaded(on: backend)
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
      let expected = try fixture.floats("params_after10.f32")
      expectClose(
        fixture.withoutKeyBiases(model.flat()), fixture.withoutKeyBiases(expected).map(Double.init), tolerance: 1e-5,
        "\(name) after 10 steps")
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
