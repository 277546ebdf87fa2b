import WorkbenchKit

/// The names of every metric an instruction-tuning run writes to the log, declared once: `execute`
/// writes them and the analysis (and the queries in docs/) read them through these.
public enum InstructionMetricName {
  /// The tiers a run is scored on, in the order the analysis prints them.
  public static let tiers = ["seen", "unseen-binding", "unseen-family", "unseen-category"]
  /// The baselines scored beside the model (nearest-seen only where the family has tuned instructions).
  public static let baselines = ["copy-input", "copy-demo-output", "majority-label", "nearest-seen"]
  /// The scores of a group of answers.
  public static let scores = ["exact_match", "rouge_l", "score"]

  public static let pretrainLoss = MetricName("pretrain_loss")
  public static let trainLoss = MetricName.trainLoss
  /// Exact match on validation instructions, by tuning step.
  public static let validation = MetricName("validation.exact_match")
  /// The tuning step whose weights the run kept.
  public static let selectedStep = MetricName("selected_step")

  /// `score.<tier>`: the prefix of a tier's scores (`.exact_match`, `.category.<c>.rouge_l`, …).
  public static func model(_ tier: String) -> MetricName { MetricName("score.\(tier)") }
  /// `baseline.<name>.<tier>`.
  public static func baseline(_ name: String, _ tier: String) -> MetricName { MetricName("baseline.\(name).\(tier)") }
  /// A score of a prefix: `score.seen.exact_match`.
  public static func score(_ prefix: MetricName, _ score: String) -> MetricName { prefix.appending(score) }
  /// How many test answers a tier's scores average over.
  public static func answers(_ prefix: MetricName) -> MetricName { prefix.appending("answers") }

  /// `sni`: the prefix of a Super-NaturalInstructions run's official scores (`sni.exact_match`,
  /// `sni.rougeL`, `sni.category.<category>.exact_match`, `sni.task.<task>.rougeL`).
  public static let sni = MetricName("sni")
  /// The official scores a Super-NaturalInstructions run logs overall (the script's names).
  public static let sniScores = ["exact_match", "rougeL"]
  /// The heuristic baselines scored on Super-NaturalInstructions' test tasks.
  public static let sniBaselines = ["copy-input", "copy-demo-output"]
  /// `sni.baseline.<name>.<metric>`.
  public static func sniBaseline(_ name: String, _ metric: String) -> MetricName {
    sni.appending("baseline").appending(name).appending(metric)
  }
  /// A score of one group of a prefix's answers: `sni.category.<category>.rougeL`, `sni.task.<task>.exact_match`.
  public static func group(_ prefix: MetricName, _ kind: String, _ key: String, _ metric: String) -> MetricName {
    prefix.appending(kind).appending(key).appending(metric)
  }
}
