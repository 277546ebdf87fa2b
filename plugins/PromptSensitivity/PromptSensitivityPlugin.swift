import Foundation
import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM
import WorkbenchRandom
import WorkbenchTensor

/// Prompt sensitivity (FormatSpread, Sclar et al. 2023; Zhao et al. 2021; Lu et al. 2022) on
/// workbench's own models: a probed model — base, instruction-tuned, or tuned with format
/// augmentation — answers tasks of the suite under many prompt formats, definition wordings,
/// numbers of demonstrations, demonstration sets and orders. Classification tasks are scored by
/// ranking the label options by likelihood (plain, per character, and contextually calibrated),
/// generation tasks by the exact match of the greedy answer (from one teacher-forced pass, or by
/// decoding, which adds ROUGE-L). Every evaluation is
/// a row of the log; the analysis gives spreads per model size and k, with intervals over
/// demonstration sets.
public struct PromptSensitivityPlugin: ExperimentPlugin {
  public typealias Config = PromptSensitivityConfig

  public static let id = "prompt-sensitivity"
  public static let version = "1"
  public static let summary = "Accuracy across prompt formats, wording, shots and order, with calibration"

  public init() {}

  public func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    let suite = InstructionTuning.data(config.checkpoints.suiteSeed).suite
    for name in config.probe.tasks {
      guard suite.task(named: name) != nil else {
        let family = String(name.prefix { $0 != "(" })
        let hint =
          suite.family(named: family).map {
            "\(family) takes \($0.space.keys.joined(separator: ", ")), e.g. \($0.task(0).name)"
          }
          ?? nearest(to: family, in: suite.families.map(\.name)).map { "did you mean \($0)?" }
          ?? "see `workbench tasks list`"
        throw ConfigIssue(["probe", "tasks"], "no task '\(name)' in the suite; \(hint)")
      }
    }
    let p = config.probe
    guard !p.tasks.isEmpty, p.instances >= 1, p.formats >= 1, p.selectionSeeds >= 1, !p.shots.isEmpty,
      p.shots.allSatisfy({ $0 >= 0 }), p.formatShots >= 0, p.orderShots >= 1, p.searchBudget >= 0,
      p.searchBatch >= 1
    else {
      throw ConfigIssue(["probe"], "needs tasks, instances ≥ 1, formats ≥ 1, selection_seeds ≥ 1, shots ≥ 0")
    }
    // Bounds far above any probe, which keep its evaluations within memory and time.
    for (key, value, limit) in [
      ("tasks", p.tasks.count, 1000), ("instances", p.instances, 10_000), ("formats", p.formats, 10_000),
      ("selection_seeds", p.selectionSeeds, 1000), ("shots", p.shots.max() ?? 0, 64),
      ("format_shots", p.formatShots, 64),
      ("order_shots", p.orderShots, 8), ("search_budget", p.searchBudget, 10_000_000),
      ("search_batch", p.searchBatch, 10_000),
    ] where value > limit {
      throw ConfigIssue(["probe", key], "must be at most \(limit)")
    }
    guard (0...10_000).contains(config.checkpoints.formatAugmentation) else {
      throw ConfigIssue(["checkpoints", "format_augmentation"], "must be 0…10000")
    }
    let seen = suite.seenInstructions
    do {
      try config.instructionTuning.validate(seenInstructions: seen)
    } catch let issue as ConfigIssue {
      // The recipe's keys live under `checkpoints` here (the model's shape at the top).
      let path =
        issue.path.components.first == "model" ? issue.path : ConfigPath(["checkpoints"] + issue.path.components)
      throw ConfigIssue(path, issue.message)
    }
    guard config.checkpoints.instructions >= 1, config.checkpoints.instructions <= seen else {
      throw ConfigIssue(
        ["checkpoints", "instructions"], "must be 1…\(seen): the suite holds \(seen) distinct seen instructions")
    }
    return [RunSpec(config: config, seed: seed, label: config.tuning.rawValue)]
  }

  /// The probed model: the instruction-tuning run of the log with the same settings and seed, or
  /// trained now (and kept as this run's checkpoint) when the log has none.
  static func model(_ config: InstructionTuningConfig, seed: Int, context: RunContext) throws -> GPT {
    let key = RunKey.make(
      plugin: InstructionTuning.pluginID, version: InstructionTuning.version, seed: seed,
      canonicalConfig: try canonicalJSON(config))
    if let url = try context.existingArtifact(ofRun: key) {
      let shape = InstructionTuning.gptConfig(config, InstructionTuning.data(config.suiteSeed))
      let model = try Checkpoint.loadModel(from: url, on: context.backend, expecting: shape).model
      try context.recordArtifact(kind: "probed-checkpoint", url: url)
      return model
    }
    return try InstructionTuning.train(config, seed: seed, context: context).model
  }

  public func execute(_ run: RunSpec<Config>, context: RunContext) throws -> RunSummary {
    let config = run.config
    let tuning = config.instructionTuning
    let data = InstructionTuning.data(tuning.suiteSeed)
    let suite = data.suite
    let model = try Self.model(tuning, seed: run.seed, context: context)
    let probe = PromptProbe(model: model, data: data)
    let p = config.probe
    let formats = PromptFormat.sample(p.formats, seed: UInt64(p.formatSeed))
    let tk = PromptFormat.tkInstruct

    for (t, name) in p.tasks.enumerated() {
      try context.checkCancellation()
      context.progress(step: t, of: p.tasks.count)
      let task = suite.task(named: name)!  // checked by plan
      let instances = suite.testInstances(task, count: p.instances)
      let inputs = instances.map(\.input)
      let pool = suite.demonstrationPool(
        task, count: max(16, p.shots.max()! * 2, p.orderShots * 2), avoiding: Set(inputs))
      let demonstrations = { (k: Int, seed: Int) in suite.demonstrations(task, k: k, seed: seed, pool: pool) }

      /// Evaluates the variants that fit the context and logs each as `name` at its index:
      /// `score` (accuracy, or the task's metric for a generation task), and for classification
      /// `acc_norm` and `calibrated`, for generation `exact_match` and `rouge_l`.
      func measure(_ axis: MetricName, _ variants: [PromptVariant]) throws {
        let fitting = variants.indices.filter { probe.fits(task, variants[$0], inputs: inputs) }
        if task.labels == nil && !p.greedy {
          let results = try probe.exactMatch(task, instances: instances, variants: fitting.map { variants[$0] })
          for (index, result) in zip(fitting, results) {
            try context.log(axis.score(.score), step: index, value: 100 * result)
            try context.log(axis.score(.exactMatch), step: index, value: 100 * result)
          }
        } else if task.labels == nil {
          let results = try probe.generate(task, instances: instances, variants: fitting.map { variants[$0] })
          for (index, result) in zip(fitting, results) {
            try context.log(axis.score(.score), step: index, value: 100 * result.exactMatch)
            try context.log(axis.score(.exactMatch), step: index, value: 100 * result.exactMatch)
            try context.log(axis.score(.rougeL), step: index, value: 100 * result.rougeL)
          }
        } else {
          let results = try probe.evaluate(task, instances: instances, variants: fitting.map { variants[$0] })
          for (index, result) in zip(fitting, results) {
            try context.log(axis.score(.score), step: index, value: 100 * result.accuracy)
            try context.log(axis.score(.accNorm), step: index, value: 100 * result.normalizedAccuracy)
            try context.log(axis.score(.calibrated), step: index, value: 100 * result.calibratedAccuracy)
          }
        }
        if fitting.count < variants.count {
          try context.log(axis.score(.skipped), step: 0, value: Double(variants.count - fitting.count))
        }
      }

      // Formats, at each k, per demonstration set (every format shows the same demonstrations).
      for k in p.shots {
        for s in 0..<p.selectionSeeds {
          let shown = demonstrations(k, s)
          try measure(
            .formatAxis(name, k: k, seed: s), formats.map { PromptVariant(format: $0, demonstrations: shown) })
        }
      }
      // Order: every permutation of one set (a seeded sample of 24 when there are more).
      let ordered = demonstrations(p.orderShots, 0)
      try measure(
        .orderAxis(name),
        Self.permutations(ordered.count, seed: run.seed).map {
          PromptVariant(format: tk, demonstrations: $0.map { ordered[$0] })
        })
      // Wording: each paraphrase of the definition.
      try measure(
        .wordingAxis(name),
        task.family.definitions.indices.map {
          PromptVariant(format: tk, paraphrase: $0, demonstrations: demonstrations(p.formatShots, 0))
        })
      if p.searchBudget > 0 && task.labels != nil {
        try search(task, name, instances, formats, demonstrations(p.formatShots, 0), probe, p, context)
      }
    }
    try context.flush()
    return RunSummary(
      N: Int64(model.config.nonEmbeddingParameters), NTotal: Int64(model.config.totalParameters))
  }

  /// FormatSpread's Thompson-sampling search for the best and worst format of the grid, within
  /// `search_budget` calls; the two are then evaluated on every instance. Logged: their indices,
  /// the spread they give, and the calls spent (the exhaustive grid costs formats × instances).
  func search(
    _ task: InstructionTask, _ name: String, _ instances: [InstructionInstance], _ formats: [PromptFormat],
    _ shown: [InstructionExample], _ probe: PromptProbe, _ p: ProbeSettings, _ context: RunContext
  ) throws {
    let inputs = instances.map(\.input)
    let candidates = formats.filter {
      probe.fits(task, PromptVariant(format: $0, demonstrations: shown), inputs: inputs)
    }
    guard candidates.count >= 2 else { return }
    let b = min(p.searchBatch, instances.count)
    func pull(_ format: PromptFormat, _ round: Int) throws -> Int {
      let batch = (0..<b).map { instances[(round * b + $0) % instances.count] }
      let result = try probe.evaluate(
        task, instances: batch, variants: [PromptVariant(format: format, demonstrations: shown)])
      return Int((result[0].accuracy * Double(b)).rounded())
    }
    // The prior: the original format's accuracy on one batch.
    let prior = Double(try pull(candidates[0], 0)) / Double(b)
    let found = try FormatSearch(formats: candidates.count, budget: p.searchBudget, batch: b).run(
      prior: prior, seed: SeededGenerator.hash(name)
    ) { try pull(candidates[$0], $1 + 1) }
    let full = try probe.evaluate(
      task, instances: instances,
      variants: [found.best, found.worst].map { PromptVariant(format: candidates[$0], demonstrations: shown) })
    let index = { (f: PromptFormat) in Double(formats.firstIndex(of: f)!) }
    try context.log(.search(name, .best), step: 0, value: index(candidates[found.best]))
    try context.log(.search(name, .worst), step: 0, value: index(candidates[found.worst]))
    try context.log(.search(name, .spread), step: 0, value: 100 * (full[0].accuracy - full[1].accuracy))
    try context.log(.search(name, .calls), step: 0, value: Double(b + found.calls + 2 * instances.count))
  }

  /// Every order of `count` items, or a seeded sample of 24 orders (the identity first) beyond 4.
  static func permutations(_ count: Int, seed: Int) -> [[Int]] {
    func all(_ items: [Int]) -> [[Int]] {
      guard items.count > 1 else { return [items] }
      return items.indices.flatMap { i in
        all(Array(items[..<i] + items[(i + 1)...])).map { [items[i]] + $0 }
      }
    }
    if count <= 4 { return all(Array(0..<count)) }
    var g = SeededGenerator(seed: UInt64(seed) &+ 0x0DE7)
    var orders: [[Int]] = [Array(0..<count)]
    while orders.count < 24 {
      let order = Array(0..<count).shuffled(using: &g)
      if !orders.contains(order) { orders.append(order) }
    }
    return orders
  }

  public func analyze(_ runs: [FinishedRun<Config>], context: AnalysisContext) throws {
    try PromptSensitivityAnalysis(runs: runs, context: context).run()
  }
}
