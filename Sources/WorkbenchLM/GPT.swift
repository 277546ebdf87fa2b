import Foundation
import WorkbenchRandom
import WorkbenchTensor

/// A GPT as in the scaling-law literature and `../shared/reference/gpt-parity/README.md`: token +
/// learned position embeddings, `layers` pre-LayerNorm blocks of causal self-attention and a 4·d
/// GELU (tanh) MLP, a final LayerNorm, and an output head tied to the token embedding.
///
/// Parameters live in one `ParameterArena`; `specs` lists them in the reference layout order.
public final class GPT {
  public let config: GPTConfig
  public let arena: ParameterArena
  let wte: Tensor
  let wpe: Tensor
  let blocks: [GPTBlock]
  let finalNormWeight: Tensor
  let finalNormBias: Tensor

  /// A model with fresh weights: normal(0, 0.02) for embeddings and the qkv and fc weights,
  /// normal(0, 0.02/√(2L)) for the two residual projections, zero biases, LayerNorms at 1 and 0.
  public init(_ config: GPTConfig, on backend: any Backend, seed: Int) {
    precondition(config.problem == nil, config.problem ?? "")
    self.config = config
    let specs = Self.specs(config)
    let arena = ParameterArena(specs, on: backend)
    self.arena = arena
    wte = arena["wte"]
    wpe = arena["wpe"]
    blocks = (0..<config.layers).map { GPTBlock(arena: arena, index: $0, heads: config.heads) }
    finalNormWeight = arena["lnf.weight"]
    finalNormBias = arena["lnf.bias"]
    // Written a chunk at a time, so the host never holds more than a chunk of the model (a model
    // too large for memory then fails as the arena's allocation, an error the run records).
    var generator = SeededGenerator(seed: seed, stream: "gpt-init")
    backend.execute(.fill(arena.values.view, 0))
    guard !backend.hasFailed else { return }  // the arena did not fit; the first synchronize() says so
    let residualStd = 0.02 / (2 * Double(config.layers)).squareRoot()
    let chunk = 1 << 20
    for (index, spec) in specs.enumerated() {
      let count = spec.shape.reduce(1, *)
      let value: (inout SeededGenerator) -> Float
      if spec.name.hasSuffix("proj.weight") {
        value = { Float(residualStd * $0.nextGaussian()) }
      } else if spec.name.hasSuffix(".weight") && spec.name.contains("ln") {
        value = { _ in 1 }
      } else if spec.shape.count >= 2 {
        value = { Float(0.02 * $0.nextGaussian()) }
      } else {
        continue  // biases: zero
      }
      for start in stride(from: 0, to: count, by: chunk) {
        let values = (0..<min(chunk, count - start)).map { _ in value(&generator) }
        arena.values.assign(values, at: arena.offsets[index] + start)
      }
    }
  }

  /// The parameters in the reference layout order: `wte`, `wpe`, per block `ln1`, `attn.qkv`,
  /// `attn.proj`, `ln2`, `mlp.fc`, `mlp.proj` (weights then biases), then `lnf`.
  public static func specs(_ config: GPTConfig) -> [ParameterSpec] {
    let (d, V, T) = (config.width, config.vocabulary, config.context)
    var specs = [ParameterSpec("wte", [V, d]), ParameterSpec("wpe", [T, d])]
    for i in 0..<config.layers {
      for part in GPTBlock.Part.allCases {
        let (weight, bias) = part.shapes(width: d)
        specs += [ParameterSpec(part.name(i) + ".weight", weight), ParameterSpec(part.name(i) + ".bias", bias)]
      }
    }
    return specs + [ParameterSpec("lnf.weight", [d]), ParameterSpec("lnf.bias", [d])]
  }

  /// Logits `[B·T, V]` for int32 `tokens` `[B, T]` (T ≤ context).
  public func logits(_ tokens: Tensor) -> Tensor {
    precondition(tokens.rank == 2 && tokens.dtype == .int32, "tokens must be int32 [B, T]; got \(tokens)")
    let (batch, time) = (tokens.shape[0], tokens.shape[1])
    precondition(time <= config.context, "\(time) tokens exceed the context of \(config.context)")
    let positions = time == config.context ? wpe : wpe.slice(axis: 0, 0..<time)
    var x = Tensor.embedding(tokens, table: wte) + positions
    for block in blocks { x = block(x) }
    let normed = x.layerNorm(weight: finalNormWeight, bias: finalNormBias)
    return Tensor.matmul(normed.reshaped([batch * time, config.width]), wte, transposeB: true)
  }

  /// Mean cross-entropy (nats per token) of predicting `targets` from `tokens`, both `[B, T]`.
  public func loss(_ tokens: Tensor, targets: Tensor, normalizer: Int? = nil) -> Tensor {
    logits(tokens).softmaxCrossEntropy(targets: targets.reshaped([targets.count]), normalizer: normalizer)
  }

  /// Overwrites every parameter from `flat`, packed in `specs` order (the reference layout).
  public func load(_ flat: [Float]) {
    precondition(flat.count == config.totalParameters, "\(flat.count) values for \(config.totalParameters) parameters")
    var padded = [Float](repeating: 0, count: arena.count)
    var cursor = 0
    for (i, spec) in arena.specs.enumerated() {
      let count = spec.shape.reduce(1, *)
      padded.replaceSubrange(arena.offsets[i]..<(arena.offsets[i] + count), with: flat[cursor..<(cursor + count)])
      cursor += count
    }
    arena.values.assign(padded)
  }

  /// Every parameter (or, with `gradients`, every gradient), packed in `specs` order.
  public func flat(gradients: Bool = false) -> [Float] {
    let arenaValues = (gradients ? arena.gradients : arena.values).toArray()
    var flat: [Float] = []
    flat.reserveCapacity(config.totalParameters)
    for (i, spec) in arena.specs.enumerated() {
      flat += arenaValues[arena.offsets[i]..<(arena.offsets[i] + spec.shape.reduce(1, *))]
    }
    return flat
  }
}

/// One pre-LayerNorm block: `x + attn(ln1(x))`, then `x + mlp(ln2(x))`.
struct GPTBlock {
  /// The block's layers, each a weight and a bias, in the reference layout's order.
  enum Part: String, CaseIterable {
    case ln1, qkv = "attn.qkv", proj = "attn.proj", ln2, fc = "mlp.fc", mlpProj = "mlp.proj"

    /// The arena's name of the part in block `index`, before `.weight` / `.bias`.
    func name(_ index: Int) -> String { "blocks.\(index).\(rawValue)" }

    /// The weight's and the bias's shapes in a model of width `d`.
    func shapes(width d: Int) -> (weight: [Int], bias: [Int]) {
      switch self {
      case .ln1, .ln2: ([d], [d])
      case .qkv: ([d, 3 * d], [3 * d])
      case .proj: ([d, d], [d])
      case .fc: ([d, 4 * d], [4 * d])
      case .mlpProj: ([4 * d, d], [d])
      }
    }
  }

  /// A part's weight and bias, views into the arena.
  struct Layer {
    let weight, bias: Tensor

    init(_ arena: ParameterArena, _ part: Part, block index: Int) {
      weight = arena[part.name(index) + ".weight"]
      bias = arena[part.name(index) + ".bias"]
    }
  }

  let ln1, qkv, proj, ln2, fc, mlpProj: Layer
  let heads: Int

  init(arena: ParameterArena, index: Int, heads: Int) {
    ln1 = Layer(arena, .ln1, block: index)
    qkv = Layer(arena, .qkv, block: index)
    proj = Layer(arena, .proj, block: index)
    ln2 = Layer(arena, .ln2, block: index)
    fc = Layer(arena, .fc, block: index)
    mlpProj = Layer(arena, .mlpProj, block: index)
    self.heads = heads
  }

  /// `[B, T, C]` → `[B, T, C]`.
  func callAsFunction(_ x: Tensor) -> Tensor {
    let mid = x + project(queriesKeysValues(x).attention(heads: heads))
    return mid + mlp(mid)
  }

  /// The attention's input: queries, keys and values `[…, 3C]` of `ln1(x)`.
  func queriesKeysValues(_ x: Tensor) -> Tensor {
    Tensor.linear(x.layerNorm(weight: ln1.weight, bias: ln1.bias), qkv.weight, bias: qkv.bias)
  }

  /// The attention's output projection.
  func project(_ attended: Tensor) -> Tensor { Tensor.linear(attended, proj.weight, bias: proj.bias) }

  /// The MLP of `ln2(x)` (without the residual).
  func mlp(_ x: Tensor) -> Tensor {
    let hidden = Tensor.linear(x.layerNorm(weight: ln2.weight, bias: ln2.bias), fc.weight, bias: fc.bias).gelu()
    return Tensor.linear(hidden, mlpProj.weight, bias: mlpProj.bias)
  }
}
