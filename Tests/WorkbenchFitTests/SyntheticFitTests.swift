import Foundation
import Testing
import WorkbenchFit

/// Noisy points from a known law, seeded.
private func sample(_ form: ScalingForm, _ truth: [Double], noise: Double, seed: UInt64, count: Int = 80)
  -> [ScalingPoint]
{
  var state = seed
  func uniform() -> Double {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return Double(state >> 11) / Double(1 << 53)
  }
  return (0..<count).map { _ in
    let N = pow(10, 6 + 3 * uniform())
    let D = pow(10, 8 + 3 * uniform())
    var point = ScalingPoint(N: N, D: D, C: 6 * N * D, S: D / 1e5, loss: 1)
    let gaussian = (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * Double.pi * uniform())
    point.loss = form.predict(truth, at: point) * exp(noise * gaussian)
    return point
  }
}

@Suite struct SyntheticFitTests {
  /// θ → published → θ is the identity for every form, and the published values are the
  /// exponentials or the values of θ's entries each form says (E of Chinchilla from θ's third).
  @Test(arguments: ScalingForm.all)
  func publishedParametersAndThetaAreInverse(_ form: ScalingForm) {
    let theta = (0..<form.parameterNames.count).map { 0.5 + Double($0) }
    let published = form.parameters(from: theta)
    #expect(published.count == theta.count)
    let back = form.internalParameters(from: published)
    for (a, b) in zip(back, theta) { #expect(abs(a - b) < 1e-12, "\(form): \(back) vs \(theta)") }
    if form == .chinchilla { #expect(abs(published[0] - exp(2.5)) < 1e-9 && published[3] == 3.5) }
    if form == .powerWithOffset(.N) { #expect(abs(published[0] - exp(1.5)) < 1e-9 && published[2] == 2.5) }
  }

  @Test(arguments: [
    (ScalingForm.chinchilla, [1.69, 406.4, 410.7, 0.34, 0.28]),
    (ScalingForm.kaplanND, [8.8e13, 5.4e13, 0.076, 0.095]),
    (ScalingForm.kaplanNS, [6.5e13, 2.1e3, 0.077, 0.76]),
    (ScalingForm.powerWithOffset(.N), [1.7, 406.4, 0.34]),
    (ScalingForm.power(.D), [5.4e13, 0.095]),
  ])
  func recoversKnownParametersFromNoisyData(form: ScalingForm, truth: [Double]) throws {
    let points = sample(form, truth, noise: 0.002, seed: 11)
    let fit = try ScalingFitter().fit(form, to: points)
    for (name, (fitted, exact)) in zip(form.parameterNames, zip(fit.parameters, truth)) {
      let tolerance = name.hasPrefix("alpha") || name == "beta" || name == "E" ? 0.05 : 0.5
      #expect(abs(fitted / exact - 1) < tolerance, "\(form.name) \(name): \(fitted) vs \(exact)")
    }
    #expect(fit.r2 > 0.95)
  }

  @Test func bootstrapIntervalsCoverTheTruth() throws {
    let truth = [1.69, 406.4, 410.7, 0.34, 0.28]
    let points = sample(.chinchilla, truth, noise: 0.01, seed: 5, count: 120)
    let fitter = ScalingFitter()
    let fit = try fitter.fit(.chinchilla, to: points)
    let intervals = fitter.bootstrap(fit, points: points, resamples: 100, seed: 1)
    for name in ["E", "alpha", "beta"] {
      let interval = try #require(intervals[name])
      let exact = truth[fit.form.parameterNames.firstIndex(of: name)!]
      #expect(interval[0] < exact && exact < interval[1], "\(name) \(interval) vs \(exact)")
    }
  }

  @Test func isoFLOPRefusesABudgetWithoutAnInteriorMinimum() {
    let inside = (C: 1e20, points: [(x: 1e8, loss: 3.0), (x: 3e8, loss: 2.8), (x: 1e9, loss: 2.9)])
    let edge = (C: 1e21, points: [(x: 1e8, loss: 3.0), (x: 3e8, loss: 2.9), (x: 1e9, loss: 2.8)])
    let result = ComputeOptimal.isoFLOP([inside, edge])
    guard case .minimum(let point) = result.profiles[0] else {
      Issue.record("expected a minimum")
      return
    }
    #expect(point.N > 1e8 && point.N < 1e9)
    #expect(abs(point.D - 1e20 / (6 * point.N)) < 1)
    guard case .refused(let C, _) = result.profiles[1] else {
      Issue.record("expected a refusal")
      return
    }
    #expect(C == 1e21)
  }

  @Test func chinchillaAllocationMatchesHoffmannEquationFour() {
    // Epoch's parameters at the Gopher budget: N_opt = 72.3B, D_opt = 1.33T (README of the reference data).
    let (N, D) = ComputeOptimal.chinchilla(E: 1.8172, A: 482.01, B: 2085.43, alpha: 0.3478, beta: 0.3658)
    #expect(abs(N(5.76e23) / 72.3e9 - 1) < 0.01)
    #expect(abs(D(5.76e23) / 1.33e12 - 1) < 0.01)
    #expect(abs(N.exponent - 0.3658 / (0.3478 + 0.3658)) < 1e-12)
  }
}

@Suite struct PublishedLawTests {
  @Test func kaplanTwentyTwentyGrowsNByTwentyEightPointEightAndDByThreePointFourSeven() {
    let law = PublishedLaw.kaplan2020
    let plan = Plan(law: law.id, source: law.source, N: law.N, D: law.D, scale: 100, compute: nil, loss: nil)
    #expect(String(format: "%.1f", plan.NFactor) == "28.8")
    #expect(String(format: "%.2f", plan.DFactor) == "3.47")
    // C = 6ND holds along the law.
    let C = 1e21
    #expect(abs(6 * law.N(C) * law.D(C) / C - 1) < 1e-9)
  }

  @Test func chinchillaLawsKeepCEqualSixND() {
    for law in [PublishedLaw.hoffmann2022, .epoch2024] {
      let C = 5.76e23
      #expect(abs(6 * law.N(C) * law.D(C) / C - 1) < 1e-9)
      #expect(law.loss(at: C)! > law.chinchilla![0])
    }
  }
}
