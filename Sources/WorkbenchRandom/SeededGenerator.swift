/// A small, fast, seedable random number generator (SplitMix64): the same seed gives the same
/// numbers on every machine and every run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
  private var state: UInt64

  public init(seed: UInt64) { state = seed }

  /// A generator that continues exactly where one with this `rawState` left off (checkpoints).
  public init(rawState: UInt64) { state = rawState }

  /// The whole state: saving it and restoring with `init(rawState:)` resumes the stream.
  public var rawState: UInt64 { state }

  /// A generator for one purpose of one run: different `stream` values give independent streams.
  public init(seed: Int, stream: String) {
    state = UInt64(bitPattern: Int64(seed)) ^ Self.hash(stream)
  }

  /// The 64-bit FNV-1a hash of `text`: a stable name for a stream, a cache file, a config.
  public static func hash(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
  }

  public mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }

  /// A uniform double in [0, 1).
  public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

  /// A standard normal sample (Box–Muller).
  public mutating func nextGaussian() -> Double {
    let u = max(nextUnit(), .leastNonzeroMagnitude)
    let v = nextUnit()
    return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
  }

  /// A Gamma(shape, 1) sample (Marsaglia and Tsang 2000; shape < 1 by the boost u^(1/shape)).
  public mutating func nextGamma(_ shape: Double) -> Double {
    if shape < 1 { return nextGamma(shape + 1) * pow(max(nextUnit(), .leastNonzeroMagnitude), 1 / shape) }
    let d = shape - 1.0 / 3
    let c = 1 / (9 * d).squareRoot()
    while true {
      let x = nextGaussian()
      let v = pow(1 + c * x, 3)
      guard v > 0 else { continue }
      let u = max(nextUnit(), .leastNonzeroMagnitude)
      if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
