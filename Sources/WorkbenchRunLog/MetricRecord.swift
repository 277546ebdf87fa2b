import GRDB

/// One logged value of a run: unique per (run, name, step).
public struct MetricRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "metric"
  public var runID: Int64
  public var name: String
  public var step: Int64
  public var value: Double
  /// Training tokens seen when the value was measured.
  public var tokens: Int64?
  /// Training FLOPs spent when the value was measured.
  public var flops: Double?
  /// Seconds since the run started.
  public var elapsedSeconds: Double?

  enum CodingKeys: String, CodingKey {
    case name, step, value, tokens, flops
    case runID = "run_id"
    case elapsedSeconds = "elapsed_s"
  }

  public init(
    runID: Int64, name: String, step: Int64, value: Double, tokens: Int64? = nil,
    flops: Double? = nil, elapsedSeconds: Double? = nil
  ) {
    self.runID = runID
    self.name = name
    self.step = step
    self.value = value
    self.tokens = tokens
    self.flops = flops
    self.elapsedSeconds = elapsedSeconds
  }
}
