import Foundation
import GRDB

/// One experiment: a name, the plugin that runs it, and where its YAML came from.
public struct ExperimentRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
  public static let databaseTableName = "experiment"
  public var id: Int64?
  public var name: String
  public var plugin: String
  public var sourcePath: String?
  public var createdAt: Date

  enum CodingKeys: String, CodingKey {
    case id, name, plugin
    case sourcePath = "source_path"
    case createdAt = "created_at"
  }

  public init(name: String, plugin: String, sourcePath: String?, createdAt: Date = Date()) {
    self.name = name
    self.plugin = plugin
    self.sourcePath = sourcePath
    self.createdAt = createdAt
  }

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
