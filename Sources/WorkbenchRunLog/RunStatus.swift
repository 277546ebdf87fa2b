/// The life cycle of one run: `pending` → `running` → `finished` | `diverged` | `failed` |
/// `interrupted`. `finished` and `diverged` are results (a diverged loss is an outcome, not an
/// accident to retry); `failed` and `interrupted` run again.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
  case pending, running, finished, diverged, failed, interrupted

  /// Whether the run has a result (finished, or diverged).
  public var isComplete: Bool { self == .finished || self == .diverged }
}
