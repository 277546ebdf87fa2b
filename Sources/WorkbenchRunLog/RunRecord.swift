import Foundation
import GRDB

/// One run: its key, resolved config, status, where and how it ran, and its typed summary.
///
/// The summary columns follow the scaling-law literature: `N` non-embedding parameters, `N_total`
/// all parameters, `D` training tokens, `C` training FLOPs.
public struct RunRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
  public static let databaseTableName = "run"
  public var id: Int64?
  public var key: String
  public var experimentID: Int64
  public var sweepID: Int64?
  public var label: String
  public var plugin: String
  public var pluginVersion: String
  public var seed: Int64
  /// The canonical resolved config, JSON with sorted keys.
  public var config: String
  public var status: RunStatus
  public var attempts: Int = 0
  public var device: String?
  public var host: String?
  public var owner: String?
  public var workbenchVersion: String?
  public var gitRevision: String?
  public var createdAt: Date
  public var startedAt: Date?
  public var finishedAt: Date?
  public var heartbeatAt: Date?
  public var durationSeconds: Double?
  public var error: String?
  public var N: Int64?
  public var NTotal: Int64?
  public var D: Int64?
  public var C: Double?
  public var finalTrainLoss: Double?
  public var finalValLoss: Double?

  enum CodingKeys: String, CodingKey {
    case id, key, label, plugin, seed, config, status, attempts, device, host, owner, error, N, D, C
    case experimentID = "experiment_id"
    case sweepID = "sweep_id"
    case pluginVersion = "plugin_version"
    case workbenchVersion = "workbench_version"
    case gitRevision = "git_revision"
    case createdAt = "created_at"
    case startedAt = "started_at"
    case finishedAt = "finished_at"
    case heartbeatAt = "heartbeat_at"
    case durationSeconds = "duration_s"
    case NTotal = "N_total"
    case finalTrainLoss = "final_train_loss"
    case finalValLoss = "final_val_loss"
  }

  public init(
    key: String, experimentID: Int64, sweepID: Int64?, label: String, plugin: String,
    pluginVersion: String, seed: Int64, config: String, createdAt: Date = Date()
  ) {
    self.key = key
    self.experimentID = experimentID
    self.sweepID = sweepID
    self.label = label
    self.plugin = plugin
    self.pluginVersion = pluginVersion
    self.seed = seed
    self.config = config
    self.status = .pending
    self.createdAt = createdAt
  }

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

  /// Decodes a row column by column: several times faster than the `Codable` path, which matters
  /// when a page lists a thousand runs.
  public init(row: Row) throws {
    id = row["id"]
    key = row["key"]
    experimentID = row["experiment_id"]
    sweepID = row["sweep_id"]
    label = row["label"]
    plugin = row["plugin"]
    pluginVersion = row["plugin_version"]
    seed = row["seed"]
    config = row["config"]
    let statusText: String = row["status"]
    guard let status = RunStatus(rawValue: statusText) else {
      throw DatabaseError(message: "run \(key) has an unknown status '\(statusText)'")
    }
    self.status = status
    attempts = row["attempts"]
    device = row["device"]
    host = row["host"]
    owner = row["owner"]
    workbenchVersion = row["workbench_version"]
    gitRevision = row["git_revision"]
    createdAt = row["created_at"]
    startedAt = row["started_at"]
    finishedAt = row["finished_at"]
    heartbeatAt = row["heartbeat_at"]
    durationSeconds = row["duration_s"]
    error = row["error"]
    N = row["N"]
    NTotal = row["N_total"]
    D = row["D"]
    C = row["C"]
    finalTrainLoss = row["final_train_loss"]
    finalValLoss = row["final_val_loss"]
  }
}

/// What a finished run reports about itself; every field is optional because not every plugin
/// trains a language model.
public struct RunSummary: Codable, Sendable, Equatable {
  public var N: Int64?
  public var NTotal: Int64?
  public var D: Int64?
  public var C: Double?
  public var finalTrainLoss: Double?
  public var finalValLoss: Double?

  public init(
    N: Int64? = nil, NTotal: Int64? = nil, D: Int64? = nil, C: Double? = nil,
    finalTrainLoss: Double? = nil, finalValLoss: Double? = nil
  ) {
    self.N = N
    self.NTotal = NTotal
    self.D = D
    self.C = C
    self.finalTrainLoss = finalTrainLoss
    self.finalValLoss = finalValLoss
  }
}

extension RunRecord {
  /// The summary columns of this run.
  public var summary: RunSummary {
    RunSummary(
      N: N, NTotal: NTotal, D: D, C: C, finalTrainLoss: finalTrainLoss, finalValLoss: finalValLoss)
  }
}
