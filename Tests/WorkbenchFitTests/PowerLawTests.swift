import Foundation
import Testing
import WorkbenchFit

@Suite struct PowerLawTests {
  @Test func recoversAPurePowerLawExactly() throws {
    let x = [1e3, 1e4, 1e5, 1e6]
    let y = x.map { 5 * pow($0, -0.3) }
    let law = try #require(PowerLaw.fit(x: x, y: y))
    #expect(abs(law.A - 5) < 1e-9)
    #expect(abs(law.alpha - 0.3) < 1e-12)
    #expect(law.E == 0)
    #expect(law.r2 > 1 - 1e-12)
  }

  @Test func recoversTheIrreducibleTerm() throws {
    let x = [1e6, 3e6, 1e7, 3e7, 1e8, 3e8, 1e9]
    let y = x.map { 1.7 + 406.4 * pow($0, -0.34) }
    let law = try #require(PowerLaw.fit(x: x, y: y, irreducible: true))
    #expect(abs(law.E - 1.7) < 1e-3)
    #expect(abs(law.alpha - 0.34) < 1e-3)
    #expect(abs(law.A / 406.4 - 1) < 1e-2)
  }

  @Test func bootstrapIntervalsCoverTheTruthOnNoisyData() throws {
    var state: UInt64 = 42
    func noise() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1
      return Double(state >> 11) / Double(1 << 53) - 0.5
    }
    let x = (0..<20).map { pow(10, 6 + Double($0) / 6) }
    let y = x.map { (2 + 300 * pow($0, -0.3)) * exp(0.01 * noise()) }
    let intervals = PowerLaw.bootstrapIntervals(x: x, y: y, irreducible: true, seed: 1)
    let alpha = try #require(intervals["alpha"])
    #expect(alpha[0] < 0.3 && 0.3 < alpha[1])
    #expect(alpha[1] - alpha[0] < 0.2)
  }

  @Test func refusesTooFewOrNonPositivePoints() {
    #expect(PowerLaw.fit(x: [1], y: [1]) == nil)
    #expect(PowerLaw.fit(x: [1, 2], y: [1, 2], irreducible: true) == nil)
    #expect(PowerLaw.fit(x: [1, 2, 3], y: [1, -2, 3]) == nil)
  }
}
