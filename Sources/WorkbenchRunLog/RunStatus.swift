/// The life cycle of one run: `pending` → `running` → `finished` | `diverged` | `failed` |
/// `interrupted` | `preempted`. `finished` and `diverged` are results (a diverged loss is an
/// outcome, not an accident to retry); `failed`, `interrupted` and `preempted` run again.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
  /// `preempted`: a scheduler (Slurm's time limit, preemption or cancellation) stopped the run after
  /// it saved a checkpoint; it resumes from there when it runs again.
  case pending, running, finished, diverged, failed, interrupted, preempted

  /// Whether the run has a result (finished, or diverged).
  public var isComplete: Bool { self == .finished || self == .diverged }

  /// Whether the run stopped without a result and runs again when asked (failed, interrupted, preempted).
  public var isRetryable: Bool { self == .failed || self == .interrupted || self == .preempted }
}
