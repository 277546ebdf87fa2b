import Foundation
import WorkbenchFit
import WorkbenchKit
import WorkbenchTensor

/// The plugin authors' example: sweeps model size over a known synthetic loss surface, logs each
/// learning curve like a real training run, and fits `L(N) = E + A/N^alpha` to the final losses,
/// so the fitted exponent can be checked against the true one. Needs no tensor runtime.
public struct CurveSweepPlugin: ExperimentPlugin {
  public typealias Config = CurveSweepConfig

  public static let id = "curve-sweep"
  public static let version = "1"
  public static let summary = "Fits L(N) = E + A/N^alpha to noisy learning curves of a known law (plugin example)"

  public init() {}

  public func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    guard config.size > 0 else { throw ConfigIssue(["size"], "must be a positive parameter count") }
    guard config.steps > 0 else { throw ConfigIssue(["steps"], "must be at least 1") }
    guard config.batchTokens > 0 else { throw ConfigIssue(["batch_tokens"], "must be at least 1") }
    guard config.evalEvery > 0 else { throw ConfigIssue(["eval_every"], "must be at least 1") }
    guard config.noise >= 0 else { throw ConfigIssue(["noise"], "must be 0 or more") }
    guard config.stepMilliseconds >= 0 && config.stepMilliseconds <= 60_000 else {
      throw ConfigIssue(["step_ms"], "must be between 0 and 60000 milliseconds")
    }
    let (tokens, overflow) = config.steps.multipliedReportingOverflow(by: config.batchTokens)
    guard !overflow, tokens <= 1 << 52 else {
      throw ConfigIssue(["batch_tokens"], "steps × batch_tokens must stay below 2^52 tokens")
    }
    return [RunSpec(config: config, seed: seed)]
  }

  public func execute(_ run: RunSpec<Config>, context: RunContext) throws -> RunSummary {
    let config = run.config
    var noise = context.generator("noise")
    let N = Double(config.size)
    var lastTrain = 0.0
    var lastVal = 0.0
    let started = Date()
    for step in 1...config.steps {
      try context.checkCancellation()
      if let failAt = config.failAtStep, step == failAt {
        throw CurveSweepFailure(step: step)
      }
      let tokens = step * config.batchTokens
      let flops = 6 * N * Double(tokens)
      let clean = config.law.loss(N: N, D: Double(tokens))
      lastTrain = clean * exp(config.noise * noise.nextGaussian())
      try context.log(.trainLoss, step: step, value: lastTrain, tokens: tokens, flops: flops)
      if step % config.evalEvery == 0 || step == config.steps {
        lastVal = clean * exp(config.noise / 4 * noise.nextGaussian())
        try context.log(.valLoss, step: step, value: lastVal, tokens: tokens, flops: flops)
      }
      if config.stepMilliseconds > 0 { usleep(useconds_t(config.stepMilliseconds * 1000)) }
      let elapsed = Date().timeIntervalSince(started)
      context.progress(
        step: step, of: config.steps, loss: lastTrain,
        tokensPerSecond: elapsed > 0 ? Double(tokens) / elapsed : nil)
    }
    let D = Int64(config.steps * config.batchTokens)
    return RunSummary(
      N: Int64(config.size), NTotal: Int64(config.size), D: D, C: 6 * N * Double(D), finalTrainLoss: lastTrain,
      finalValLoss: lastVal)
  }

  public func analyze(_ runs: [FinishedRun<Config>], context: AnalysisContext) throws {
    let points = runs.compactMap { run in run.summary.finalValLoss.map { (run, Double(run.config.size), $0) } }
    let sizes = Set(points.map(\.1)).count
    let tokens = Set(runs.map { $0.config.steps * $0.config.batchTokens })
    guard sizes >= 3, tokens.count == 1, let D = tokens.first else {
      context.print(
        "\(context.experimentName): \(runs.count) runs finished; a fit of L(N) needs ≥ 3 sizes trained on one token budget"
      )
      return
    }
    let x = points.map(\.1)
    let y = points.map(\.2)
    guard let law = PowerLaw.fit(x: x, y: y, irreducible: true) else { return }
    let intervals = PowerLaw.bootstrapIntervals(x: x, y: y, irreducible: true, seed: 0)
    let truth = runs[0].config.law
    let trueE = truth.E + truth.B / pow(Double(D), truth.beta)
    try context.storeFit(
      form: "L(N) = E + A/N^alpha", parameters: ["E": law.E, "A": law.A, "alpha": law.alpha], intervals: intervals,
      options: ["metric": "final val_loss", "D": String(D)], runs: points.map(\.0), pointCount: points.count,
      objective: law.objective, r2: law.r2)
    func row(_ name: String, _ value: Double, _ exact: Double) -> String {
      let interval = intervals[name].map { String(format: "[%.4g, %.4g]", $0[0], $0[1]) } ?? "-"
      return "  " + name.padding(toLength: 7, withPad: " ", startingAt: 0)
        + String(format: "%12.4g", value) + "  " + interval.padding(toLength: 24, withPad: " ", startingAt: 0)
        + String(format: "%10.4g", exact)
    }
    context.print("L(N) = E + A/N^alpha fitted to \(points.count) runs (\(sizes) sizes) at D = \(D) tokens")
    context.print("  param        fitted  95% interval                  true")
    context.print(row("E", law.E, trueE))
    context.print(row("A", law.A, truth.A))
    context.print(row("alpha", law.alpha, truth.alpha))
    context.print(String(format: "  R² = %.5f on log loss", law.r2))
  }
}

/// The failure `fail_at_step` asks for.
struct CurveSweepFailure: WorkbenchError {
  enum Code: String, ErrorCodes { case requested }
  var code: Code { .requested }
  var step: Int
  var description: String { "failed at step \(step) as fail_at_step asked" }
}
