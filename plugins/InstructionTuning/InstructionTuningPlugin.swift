import ArgumentParser
import Foundation
import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM
import WorkbenchTensor

/// Instruction tuning on workbench's task suite, as Super-NaturalInstructions / Tk-Instruct did
/// at scale and Zhang, Wang & Charton (2024) did with rewrite rules: a base model pretrained on
/// the suite's text (no answers) is tuned on I distinct seen instructions — the same number of
/// examples whatever I is, so more instructions means fewer examples each — in Tk-Instruct's
/// prompt layouts, keeps the checkpoint that does best on validation instructions, then answers
/// (greedily) new instances of its tuned instructions, unseen bindings of its families, unseen
/// families and an unseen category, scored by ROUGE-L and exact match beside SNI's heuristic
/// baselines and the nearest seen instruction. One run per (model shape, I, subset seed, run
/// seed); the analysis fits unseen-binding score against log₂ I.
public struct InstructionTuningPlugin: ExperimentPlugin {
  public typealias Config = InstructionTuningConfig

  public static let id = InstructionTuning.pluginID
  public static let version = InstructionTuning.version
  public static let summary =
    "Instruction tuning on I distinct instructions; generalisation to unseen ones vs I and size"
  /// `workbench tasks` (the suite, and SNI folders) and `workbench score` (SNI's metrics).
  public static var commands: [any ParsableCommand.Type] { [TasksCommand.self, ScoreCommand.self] }

  public init() {}

  public func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    let seen: Int
    if config.sni != nil {
      let dataset = try SNIExperiment.dataset(config) { writeStandardErrorLine($0) }
      seen = dataset.train.count
      try SNIExperiment.validate(config, dataset: dataset)
      try config.validate(seenInstructions: seen)
    } else {
      seen = InstructionTuning.suite(config.suiteSeed).seenInstructions
      try config.validate(seenInstructions: seen)
    }
    let m = config.model
    var run = config
    run.model = m.shape
    run.ablation = nil
    var runs = (0..<(m.seeds ?? 1)).map { i in
      RunSpec(config: run, seed: seed + i, label: "subset \(config.subsetSeed) seed \(seed + i)")
    }
    if let ablation = config.ablation {
      guard ablation.instructions >= 1, ablation.instructions <= seen else {
        throw ConfigIssue(["ablation", "instructions"], "must be 1…\(seen): the suite holds \(seen) seen instructions")
      }
      if ablation.model.shape == m.shape && ablation.instructions == config.instructions {
        for encoding in ablation.encodings where [encoding] != config.finetuning.encodings {
          var variant = run
          variant.finetuning.encodings = [encoding]
          variant.evaluation.encoding = encoding
          runs.append(
            RunSpec(
              config: variant, seed: seed,
              label: "subset \(config.subsetSeed) seed \(seed) ablation \(encoding.rawValue)"))
        }
      }
    }
    return runs
  }

  /// The tiers a run is scored on, with their instructions: the tuned ones (a sample) and the
  /// suite's samples of the unseen tiers.
  static func evaluationTiers(_ config: Config, suite: TaskSuite, tuned: [InstructionTask]) -> [(
    tier: String, tasks: [InstructionTask]
  )] {
    let perFamily = config.evaluation.tasksPerFamily
    var seen: [InstructionTask] = []
    for family in suite.families {
      seen += tuned.filter { $0.family == family }.prefix(perFamily)
    }
    var tiers = [("seen", seen)]
    for tier in [TaskSuite.Tier.unseenBinding, .unseenFamily, .unseenCategory] {
      tiers.append((tier.rawValue, suite.sample(tier, perFamily: perFamily)))
    }
    return tiers.filter { !$0.1.isEmpty }
  }

  public func execute(_ run: RunSpec<Config>, context: RunContext) throws -> RunSummary {
    let config = run.config
    if config.sni != nil { return try SNIExperiment.execute(config, seed: run.seed, context: context) }
    let data = InstructionTuning.data(config.suiteSeed)
    let suite = data.suite
    let shape = InstructionTuning.gptConfig(config, data)
    let (model, lastLoss, tuned) = try InstructionTuning.train(config, seed: run.seed, context: context)

    // Evaluation: the tuned instructions (instance level) and every unseen tier, with the baselines.
    let evaluator = InstructionEvaluator(data: data)
    let e = config.evaluation
    let step = config.finetuning.steps
    for (tier, tasks) in Self.evaluationTiers(config, suite: suite, tuned: tuned) {
      let predictions = try evaluator.evaluate(
        model, tasks: tasks, instances: e.instances, encoding: e.encoding, maxTokens: e.maxTokens)
      try Self.logScores(
        predictions, prefix: InstructionMetricName.model(tier), step: step, context: context, detail: true)
      let guesses = evaluator.baselines(
        tasks: tasks, instances: e.instances, tuned: tier == "unseen-binding" ? tuned : nil)
      for (name, guesses) in guesses {
        try Self.logScores(
          guesses, prefix: InstructionMetricName.baseline(name, tier), step: step, context: context, detail: false)
      }
      if let example = predictions.first(where: { $0.score < 1 }) ?? predictions.first {
        try context.writeSample(tier: tier, example)
      }
    }
    context.progress(step: config.pretraining.steps + step, of: config.pretraining.steps + step, loss: lastLoss)
    let N = shape.nonEmbeddingParameters
    return RunSummary(
      N: Int64(N), NTotal: Int64(shape.totalParameters), D: Int64(step * config.finetuning.batch * data.context),
      C: shape.flopsPerToken6N * Double(step * config.finetuning.batch * data.context), finalTrainLoss: lastLoss,
      finalValLoss: nil)
  }

  /// Logs the mean exact match, ROUGE-L and task-metric score (×100) of `predictions` under
  /// `prefix`, and with `detail` the same per category and per task.
  static func logScores(
    _ predictions: [InstructionPrediction], prefix: MetricName, step: Int, context: RunContext, detail: Bool
  ) throws {
    func log(_ name: MetricName, _ group: [InstructionPrediction]) throws {
      guard !group.isEmpty else { return }
      let n = Double(group.count)
      if name == prefix { try context.log(InstructionMetricName.answers(name), step: step, value: n) }
      let values = [group.map(\.exactMatch), group.map(\.rougeL), group.map(\.score)]
      for (score, value) in zip(InstructionMetricName.scores, values) {
        try context.log(InstructionMetricName.score(name, score), step: step, value: 100 * value.reduce(0, +) / n)
      }
    }
    try log(prefix, predictions)
    guard detail else { return }
    for category in TaskCategory.allCases {
      try log(
        prefix.appending("category").appending(category.rawValue), predictions.filter { $0.task.category == category })
    }
    var byTask: [String: [InstructionPrediction]] = [:]
    for p in predictions { byTask[p.task.name, default: []].append(p) }
    for (task, group) in byTask.sorted(by: { $0.key < $1.key }) {
      try log(prefix.appending("task").appending(task), group)
    }
  }

  public func analyze(_ runs: [FinishedRun<Config>], context: AnalysisContext) throws {
    let sni = runs.filter { $0.config.sni != nil }
    if !sni.isEmpty { try SNIAnalysis(runs: sni, context: context).run() }
    let suite = runs.filter { $0.config.sni == nil }
    if !suite.isEmpty { try InstructionAnalysis(runs: suite, context: context).run() }
  }
}

extension RunContext {
  /// Keeps one answered instance per tier as an artifact, for a look at what the model says.
  func writeSample(tier: String, _ p: InstructionPrediction) throws {
    let text =
      "task: \(p.task.name)\ninput: \(p.input)\nprediction: \(p.prediction)\nreferences: \(p.references.joined(separator: " | "))\n"
    _ = try writeArtifact(kind: "sample", name: "sample-\(tier).txt", data: Data(text.utf8))
  }
}
