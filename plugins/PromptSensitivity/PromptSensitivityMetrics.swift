import WorkbenchKit

/// What a prompt-sensitivity run logs, declared once for `execute` and the analysis: one series
/// per axis and task, its step the variant's index (format, order or wording), one metric per
/// score.
extension MetricName {
  /// `format.<task>.k<k>.seed<s>`: every format of the grammar, showing demonstration set `s` of size `k`.
  static func formatAxis(_ task: String, k: Int, seed: Int) -> MetricName {
    MetricName("format.\(task).k\(k).seed\(seed)")
  }
  /// `order.<task>`: every order of one demonstration set.
  static func orderAxis(_ task: String) -> MetricName { MetricName("order.\(task)") }
  /// `wording.<task>`: every paraphrase of the definition.
  static func wordingAxis(_ task: String) -> MetricName { MetricName("wording.\(task)") }
  /// `search.<task>.<result>`: the Thompson-sampling format search.
  static func search(_ task: String, _ result: SearchResult) -> MetricName {
    MetricName("search.\(task).\(result.rawValue)")
  }
  /// One score of an axis: `format.<task>.k2.seed0.calibrated`.
  func score(_ score: PromptScore) -> MetricName { appending(score.rawValue) }
}

/// The scores logged for each variant of an axis.
enum PromptScore: String, CaseIterable {
  /// Accuracy (classification) or the task's metric (generation): what spreads are taken of.
  case score
  /// Classification: length-normalised likelihood ranking, and contextual calibration.
  case accNorm = "acc_norm", calibrated
  /// Generation.
  case exactMatch = "exact_match", rougeL = "rouge_l"
  /// How many variants did not fit the context (step 0).
  case skipped
}

/// What the format search logs per task.
enum SearchResult: String {
  /// The indices of the best and worst format found, the spread they give, the calls spent.
  case best, worst, spread, calls
}
