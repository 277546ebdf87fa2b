import Foundation
import Testing
import WorkbenchLM
import WorkbenchNN

@Suite struct ScheduleTests {
  @Test func cosineWarmsUpThenDecaysToTheFloor() {
    let schedule = LearningRateSchedule.cosine(peak: 1e-3, warmup: 10, minRatio: 0.1)
    #expect(schedule.rate(step: 0, totalSteps: 110) == 1e-4)
    #expect(schedule.rate(step: 9, totalSteps: 110) == 1e-3)
    #expect(abs(schedule.rate(step: 10, totalSteps: 110) - 1e-3) < 1e-15)
    #expect(abs(schedule.rate(step: 109, totalSteps: 110) - 1e-4) < 1e-15)
    let middle = schedule.rate(step: 10 + 99 / 2, totalSteps: 110)
    #expect(abs(middle - (1e-4 + 0.5 * (1 + cos(Double.pi * 49.0 / 99.0)) * 9e-4)) < 1e-15)
  }

  @Test func kaplanRuleMatchesThePaper() {
    // Kaplan et al. (2020), eq. D.1: LR(N) ≈ 0.003239 − 0.0001395·log(N).
    #expect(
      abs(LearningRateSchedule.kaplanPeak(nonEmbeddingParameters: 1_000_000) - (0.003239 - 0.0001395 * log(1e6)))
        < 1e-15)
    #expect(
      LearningRateSchedule.kaplanPeak(nonEmbeddingParameters: 100_000)
        > LearningRateSchedule.kaplanPeak(nonEmbeddingParameters: 10_000_000))
  }

  @Test func flopAccountingFollowsTheFormulas() {
    let config = GPTConfig(layers: 4, width: 128, heads: 4, context: 128)
    #expect(config.nonEmbeddingParameters == 793_344)
    #expect(config.kaplanParameters == 786_432)
    #expect(config.totalParameters == 842_496)
    #expect(config.flopsPerToken6N == 6 * 793_344)
    let weights: Double = 24 * 4 * 128 * 128
    let head: Double = 2 * 128 * 256
    let attention: Double = 2 * 4 * 128 * 129
    #expect(config.flopsPerTokenExact == 3 * (weights + head + attention))
  }
}
