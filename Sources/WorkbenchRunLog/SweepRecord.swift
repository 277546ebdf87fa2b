import Foundation
import GRDB

/// One resolved sweep of an experiment: the overrides and axes that produced a set of runs.
public struct SweepRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
  public static let databaseTableName = "sweep"
  public var id: Int64?
  public var experimentID: Int64
  /// Hash of the sorted run keys: the same set of runs is one sweep, however it was spelled.
  public var key: String
  /// JSON: source file, overrides, sweep axes.
  public var spec: String
  public var runCount: Int
  public var createdAt: Date

  enum CodingKeys: String, CodingKey {
    case id, key, spec
    case experimentID = "experiment_id"
    case runCount = "run_count"
    case createdAt = "created_at"
  }

  public init(experimentID: Int64, key: String, spec: String, runCount: Int, createdAt: Date = Date()) {
    self.experimentID = experimentID
    self.key = key
    self.spec = spec
    self.runCount = runCount
    self.createdAt = createdAt
  }

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
