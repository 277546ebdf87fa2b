import CurveSweepPlugin
import Foundation
import Testing
import WorkbenchKit

@Suite struct CurveSweepTests {
  /// The default law is Hoffmann et al. (2022)'s fitted Chinchilla form.
  @Test func theDefaultLawIsChinchillas() {
    let law = CurveSweepConfig.Law()
    let N = 70e9
    let D = 1.4e12
    #expect(abs(law.loss(N: N, D: D) - (1.69 + 406.4 / pow(N, 0.34) + 410.7 / pow(D, 0.28))) < 1e-12)
    #expect(abs(law.loss(N: N, D: D) - 1.937) < 0.001)
  }

  @Test func anExperimentFileDecodesWithItsDefaults() throws {
    let tree = try ConfigNode.parse(yaml: "size: 1e7\nlaw: {alpha: 0.3}\n", file: "curves.yaml")
    let decoding = ConfigDecoding()
    let config = try decoding.decode(CurveSweepConfig.self, from: tree)
    try decoding.rejectUnknownKeys()
    #expect(config.size == 10_000_000 && config.steps == 200 && config.batchTokens == 1024)
    #expect(config.law.alpha == 0.3 && config.law.E == 1.69 && config.failAtStep == nil)
    #expect(
      try canonicalJSON(config)
        == #"{"batch_tokens":1024,"eval_every":20,"law":{"A":406.4,"B":410.7,"E":1.69,"alpha":0.3,"beta":0.28},"#
        + #""noise":0.01,"size":10000000,"step_ms":0,"steps":200}"#)
  }

  @Test func planRefusesValuesThatCannotRunNamingTheKey() throws {
    var config = CurveSweepConfig()
    config.size = 1000
    #expect(try CurveSweepPlugin().plan(config, seed: 0).count == 1)
    config.steps = 0
    do {
      _ = try CurveSweepPlugin().plan(config, seed: 0)
      Issue.record("a run of 0 steps was planned")
    } catch let issue as ConfigIssue {
      #expect(issue.path == ["steps"])
    }
  }
}
