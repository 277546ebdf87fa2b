import Foundation
import GRDB

/// A file a run wrote (checkpoint, report, samples), with its size and SHA-256.
public struct ArtifactRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
  public static let databaseTableName = "artifact"
  public var id: Int64?
  public var runID: Int64
  public var kind: String
  public var path: String
  public var sha256: String
  public var bytes: Int64
  public var createdAt: Date

  enum CodingKeys: String, CodingKey {
    case id, kind, path, sha256, bytes
    case runID = "run_id"
    case createdAt = "created_at"
  }

  public init(runID: Int64, kind: String, path: String, sha256: String, bytes: Int64, createdAt: Date = Date()) {
    self.runID = runID
    self.kind = kind
    self.path = path
    self.sha256 = sha256
    self.bytes = bytes
    self.createdAt = createdAt
  }

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
