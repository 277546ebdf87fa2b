import Foundation
import WorkbenchRandom
import WorkbenchTensor

/// A seeded text with a known entropy rate: an order-1 Markov chain over `alphabet` symbols
/// (bytes 'a', 'b', …), each row of its transition matrix drawn from a symmetric Dirichlet with
/// `concentration`, started from its stationary distribution.
///
/// Its entropy rate is exact and closed-form: H = −Σᵢ πᵢ Σⱼ Pᵢⱼ ln Pᵢⱼ nats per byte, where π is the
/// chain's stationary distribution (πP = π, found by power iteration). No model can predict the
/// next byte better on average, so H is the irreducible loss a fit of L(N, D) should find.
public struct MarkovCorpus: Sendable {
  public let alphabet: Int
  /// Transition probabilities, row-major [alphabet, alphabet].
  public let transitions: [Double]
  public let stationary: [Double]

  public init(alphabet: Int = 16, concentration: Double = 0.3, seed: Int = 0) {
    precondition(alphabet >= 2 && alphabet <= 256, "alphabet must be 2…256")
    var generator = SeededGenerator(seed: seed, stream: "markov-corpus")
    var rows: [Double] = []
    for _ in 0..<alphabet {
      let draws = (0..<alphabet).map { _ in generator.nextGamma(concentration) + 1e-12 }
      let total = draws.reduce(0, +)
      rows += draws.map { $0 / total }
    }
    transitions = rows
    var pi = [Double](repeating: 1 / Double(alphabet), count: alphabet)
    for _ in 0..<10_000 {
      var next = [Double](repeating: 0, count: alphabet)
      for i in 0..<alphabet { for j in 0..<alphabet { next[j] += pi[i] * rows[i * alphabet + j] } }
      let change = zip(next, pi).map { abs($0 - $1) }.max()!
      pi = next
      if change < 1e-15 { break }
    }
    stationary = pi
    self.alphabet = alphabet
  }

  /// The entropy rate in nats per byte.
  public var entropyRate: Double {
    var h = 0.0
    for i in 0..<alphabet {
      for j in 0..<alphabet {
        let p = transitions[i * alphabet + j]
        if p > 0 { h -= stationary[i] * p * Foundation.log(p) }
      }
    }
    return h
  }

  /// `count` bytes of the chain, reproducible from `seed`.
  public func generate(count: Int, seed: Int) -> [UInt8] {
    var generator = SeededGenerator(seed: seed, stream: "markov-text")
    func draw(_ probabilities: ArraySlice<Double>) -> Int {
      var u = generator.nextUnit()
      for (k, p) in probabilities.enumerated() {
        u -= p
        if u < 0 { return k }
      }
      return probabilities.count - 1
    }
    var state = draw(stationary[...])
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count)
    for _ in 0..<count {
      bytes.append(UInt8((97 + state) % 256))  // 'a', 'b', …: one distinct byte per state
      state = draw(transitions[(state * alphabet)..<((state + 1) * alphabet)])
    }
    return bytes
  }
}
