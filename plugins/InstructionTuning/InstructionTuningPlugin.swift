import Foundation
import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM
import WorkbenchRunLog
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
  public static let configKeys = [
    ConfigKey(
      "model", "{n_layer, d_model, n_head, seeds}", sweepable: true,
      "model shape (seeds: runs of it, default 1); a list sweeps over shapes"),
    ConfigKey("instructions", "int", sweepable: true, "I: distinct seen instructions to tune on (0: the base model)"),
    ConfigKey("subset_seed", "int", default: "0", sweepable: true, "which I instructions (nested for one seed)"),
    ConfigKey("suite_seed", "int", default: "0", "the task suite's seed (split, demonstrations)"),
    ConfigKey("pretraining.steps", "int", default: "300", "base-model language-modelling steps"),
    ConfigKey("pretraining.batch", "int", default: "32", "rows per pretraining step"),
    ConfigKey("pretraining.lr", "float", default: "3e-3", "pretraining peak learning rate (cosine)"),
    ConfigKey("pretraining.seed", "int", default: "0", "the base model's seed (runs of any seed share the base)"),
    ConfigKey(
      "pretraining.from_run", "run key", "a finished run (key, prefix or id) whose model is the base; no pretraining"),
    ConfigKey("finetuning.steps", "int", default: "1000", "tuning steps, the same for every I"),
    ConfigKey("finetuning.batch", "int", default: "32", "rows of packed examples per tuning step"),
    ConfigKey("finetuning.lr", "float", default: "2e-3", "tuning peak learning rate (cosine)"),
    ConfigKey("finetuning.warmup_steps", "int", default: "50", "linear warm-up steps"),
    ConfigKey(
      "finetuning.instances_per_task", "int", default: "0", sweepable: true,
      "distinct training instances per instruction (0: fresh every draw)"),
    ConfigKey("finetuning.encodings", "[def|pos|def+pos|def+pos+neg|def+pos+expl]", default: "[def]", "the mixture"),
    ConfigKey("evaluation.instances", "int", default: "2", "test instances per instruction"),
    ConfigKey("evaluation.tasks_per_family", "int", default: "24", "test instructions per family and tier"),
    ConfigKey(
      "evaluation.validation_per_family", "int", default: "12",
      "validation instructions per family for choosing the checkpoint (0: the last)"),
    ConfigKey("evaluation.validate_every", "int", default: "steps/4", "tuning steps between validations"),
    ConfigKey("evaluation.encoding", "def|pos|def+pos|…", default: "def", "the evaluation prompt layout"),
    ConfigKey("evaluation.max_tokens", "int", default: "16", "longest answer, in words"),
    ConfigKey("ablation.model", "{n_layer, d_model, n_head}", "the shape the ablation runs at"),
    ConfigKey("ablation.instructions", "int", "the I the ablation runs at"),
    ConfigKey("ablation.encodings", "[def|pos|def+pos|…]", "one more run per encoding, tuned and evaluated in it"),
    ConfigKey(
      "tasks.source", "suite|sni", default: "suite",
      "the generated suite, or Super-NaturalInstructions (I: training tasks of the split)"),
    ConfigKey("tasks.path", "folder", "with sni: a natural-instructions checkout (tasks/, splits/)"),
    ConfigKey("tasks.split", "name", default: "default", "with sni: splits/<name>/{train,test}_tasks.txt"),
    ConfigKey(
      "tasks.languages", "english|all", default: "english", "with sni: the default track's English tasks, or all"),
    ConfigKey(
      "tasks.max_instances_per_task", "int", default: "100", "with sni: tuning instances per task (a seeded sample)"),
    ConfigKey("tasks.test_instances", "int", default: "100", "with sni: the first instances of each test task"),
    ConfigKey("tasks.test_tasks", "int", default: "0", "with sni: test tasks in the split's order (0: all)"),
    ConfigKey("tasks.context", "int", default: "512", "with sni: tokens per row (long prompts lose their middle)"),
    ConfigKey("tokenizer.kind", "bpe|byte", default: "bpe", "with sni: byte-level BPE trained on the training tasks"),
    ConfigKey("tokenizer.vocab", "int", default: "2048", "with sni: the BPE vocabulary (257 + merges)"),
  ]

  public init() {}

  public func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    let seen: Int
    if config.sni != nil {
      let dataset = try SNIExperiment.dataset(config) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
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
    _ predictions: [InstructionPrediction], prefix: String, step: Int, context: RunContext, detail: Bool
  ) throws {
    func log(_ name: String, _ group: [InstructionPrediction]) throws {
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
      try log("\(prefix).category.\(category.rawValue)", predictions.filter { $0.task.category == category })
    }
    var byTask: [String: [InstructionPrediction]] = [:]
    for p in predictions { byTask[p.task.name, default: []].append(p) }
    for (task, group) in byTask.sorted(by: { $0.key < $1.key }) { try log("\(prefix).task.\(task)", group) }
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
