/// The life cycle of one run: `pending` → `running` → `finished` | `failed` | `interrupted`.
public enum RunStatus: String, Codable, Sendable, CaseIterable {
  case pending, running, finished, failed, interrupted
}
