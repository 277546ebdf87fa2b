/// The shape of a GPT: byte vocabulary, learned positions, pre-LayerNorm blocks, tied head.
public struct GPTConfig: Codable, Sendable, Equatable, Hashable {
  public var layers: Int
  public var width: Int
  public var heads: Int
  public var context: Int
  public var vocabulary: Int

  enum CodingKeys: String, CodingKey {
    case layers = "n_layer"
    case width = "d_model"
    case heads = "n_head"
    case context = "ctx"
    case vocabulary = "vocab"
  }

  public init(layers: Int, width: Int, heads: Int, context: Int, vocabulary: Int = 256) {
    self.layers = layers
    self.width = width
    self.heads = heads
    self.context = context
    self.vocabulary = vocabulary
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    layers = try c.decode(Int.self, forKey: .layers)
    width = try c.decode(Int.self, forKey: .width)
    heads = try c.decode(Int.self, forKey: .heads)
    context = try c.decode(Int.self, forKey: .context)
    vocabulary = try c.decodeIfPresent(Int.self, forKey: .vocabulary) ?? 256
  }

  /// What is wrong with this shape, or nil.
  public var problem: String? {
    if layers < 1 || layers > Self.maxLayers { return "n_layer must be 1…\(Self.maxLayers)" }
    if width < 1 || heads < 1 || width > Self.maxWidth {
      return "d_model must be 1…\(Self.maxWidth), n_head at least 1"
    }
    if width % heads != 0 { return "d_model (\(width)) must be divisible by n_head (\(heads))" }
    if context < 1 || context > Self.maxContext { return "ctx must be 1…\(Self.maxContext)" }
    if vocabulary < 2 || vocabulary > Self.maxVocabulary { return "vocab must be 2…\(Self.maxVocabulary)" }
    return nil
  }

  /// Bounds far above any model workbench trains, which keep every count of a shape (parameters,
  /// FLOPs, tokens per step) within 64-bit integers.
  public static let maxLayers = 4096
  public static let maxWidth = 65_536
  public static let maxContext = 1 << 20
  public static let maxVocabulary = 1 << 24
}

extension GPTConfig {
  /// Non-embedding parameters, exact: per block 12d² + 13d (weights, biases, two LayerNorms), plus
  /// the final LayerNorm's 2d (Kaplan et al. 2020's N).
  public var nonEmbeddingParameters: Int { layers * (12 * width * width + 13 * width) + 2 * width }

  /// Kaplan's approximation of N: 12·n_layer·d².
  public var kaplanParameters: Int { 12 * layers * width * width }

  /// Every parameter: token and position embeddings (the head is tied) plus N.
  public var totalParameters: Int { vocabulary * width + context * width + nonEmbeddingParameters }

  /// Training FLOPs per token by Kaplan's rule, 6N.
  public var flopsPerToken6N: Double { 6 * Double(nonEmbeddingParameters) }

  /// Training FLOPs per token counted exactly for the matrix multiplies: forward = 2·(12·L·d²)
  /// for the blocks' weights + 2·d·V for the tied output head + 2·L·d·(T+1) for causal attention
  /// (QKᵀ and AV over (T+1)/2 keys on average), and training = 3 × forward.
  public var flopsPerTokenExact: Double {
    let (L, d, V, T) = (Double(layers), Double(width), Double(vocabulary), Double(context))
    return 3 * (24 * L * d * d + 2 * d * V + 2 * L * d * (T + 1))
  }
}
