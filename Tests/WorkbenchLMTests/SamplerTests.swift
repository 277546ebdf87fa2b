import Testing
import WorkbenchLM
import WorkbenchTensor

@Suite struct SamplerTests {
  let model = GPT(GPTConfig(layers: 2, width: 32, heads: 4, context: 24), on: CPUBackend.shared, seed: 5)

  /// Greedy decoding by recomputing the whole sequence each step, the slow way.
  func greedyWithoutCache(_ prompt: [Int32], count: Int) -> [Int32] {
    var tokens = prompt
    for _ in 0..<count {
      let window = Array(tokens.suffix(model.config.context))
      let logits = model.logits(Tensor(ids: window, shape: [1, window.count], on: CPUBackend.shared)).toArray()
      let last = Array(logits[((window.count - 1) * 256)...])
      tokens.append(Int32(last.indices.max { last[$0] < last[$1] }!))
    }
    return Array(tokens[prompt.count...])
  }

  @Test func cachedGreedyDecodingMatchesFullRecomputation() {
    let prompt = ByteTokenizer().encode("the quick")
    let cached = Sampler(model: model).generate(prompt: prompt, options: SamplingOptions(maxTokens: 10))
    #expect(cached == greedyWithoutCache(prompt, count: 10))
  }

  @Test func samplingIsSeededAndTopKOneIsGreedy() {
    let prompt = ByteTokenizer().encode("abc")
    let a = Sampler(model: model).generate(
      prompt: prompt, options: SamplingOptions(maxTokens: 30, temperature: 1, seed: 3))
    let b = Sampler(model: model).generate(
      prompt: prompt, options: SamplingOptions(maxTokens: 30, temperature: 1, seed: 3))
    #expect(a == b)
    #expect(a.count == 30)
    let topOne = Sampler(model: model).generate(
      prompt: prompt, options: SamplingOptions(maxTokens: 8, temperature: 1, topK: 1))
    #expect(topOne == Sampler(model: model).generate(prompt: prompt, options: SamplingOptions(maxTokens: 8)))
  }

  @Test func generationContinuesPastTheContext() {
    let out = Sampler(model: model).generate(
      prompt: [65], options: SamplingOptions(maxTokens: 60, temperature: 0.8, seed: 1))
    #expect(out.count == 60)
  }
}
