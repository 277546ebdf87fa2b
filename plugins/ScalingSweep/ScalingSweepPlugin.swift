import Foundation
import GPTTrainingPlugin
import WorkbenchFit
import WorkbenchKit
import WorkbenchLM

/// Trains a family of GPTs and measures the scaling laws of Kaplan et al. (2020) and Hoffmann et
/// al. (2022) on them: L(N), L(D), L(C) with bootstrap intervals, the Chinchilla form, the
/// compute-efficient frontier, an extrapolation check, the 100× plan, and `report.html`.
public struct ScalingSweepPlugin: ExperimentPlugin {
  public typealias Config = ScalingSweepConfig

  public static let id = "scaling-sweep"
  public static let version = "1"
  public static let summary = "Trains a family of GPTs and fits L(N), L(D), L(C) and the Chinchilla form; report.html"

  public init() {}

  public func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    var resolved = config
    let N = Double(config.training.model.nonEmbeddingParameters)
    if let compute = config.budget.compute {
      guard compute > 0, compute / (6 * N) <= 0x1p50 else {
        throw ConfigIssue(["budget", "compute"], "must be positive and give at most 2^50 tokens (C / 6N)")
      }
      resolved.training.training.tokens = Int((compute / (6 * N)).rounded())
      resolved.training.training.steps = nil
    } else if let ratio = config.budget.tokensPerParameter {
      guard ratio > 0, ratio * N <= 0x1p50 else {
        throw ConfigIssue(["budget", "tokens_per_parameter"], "must be positive and give at most 2^50 tokens")
      }
      resolved.training.training.tokens = Int((ratio * N).rounded())
      resolved.training.training.steps = nil
    }
    try GPTTrainingPlugin.validate(resolved.training)
    let tokens =
      GPTTrainingPlugin.steps(resolved.training) * resolved.training.training.batch * resolved.training.model.context
    return [RunSpec(config: resolved, seed: seed, label: String(format: "N=%.3g D=%.3g", N, Double(tokens)))]
  }

  public func execute(_ run: RunSpec<Config>, context: RunContext) throws -> RunSummary {
    try GPTTrainingPlugin.train(run.config.training, seed: run.seed, context: context)
  }

  public func analyze(_ runs: [FinishedRun<Config>], context: AnalysisContext) throws {
    try ScalingAnalysis(runs: runs, context: context).run()
  }
}
