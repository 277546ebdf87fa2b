import Foundation
import GRDB

/// One fitted curve: its form, parameters with intervals, the runs it used and how good it is.
public struct FitRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
  public static let databaseTableName = "fit"
  public var id: Int64?
  public var experimentID: Int64
  /// The functional form, e.g. `L(N) = E + A/N^alpha`.
  public var form: String
  /// JSON object: parameter name → value.
  public var parameters: String
  /// JSON object: parameter name → [low, high] (95%), when computed.
  public var intervals: String?
  /// JSON object: the exclusion rules and options the fit was made with.
  public var options: String?
  public var pointCount: Int
  /// The minimised objective at the optimum.
  public var objective: Double
  public var r2: Double?
  public var createdAt: Date

  enum CodingKeys: String, CodingKey {
    case id, form, parameters, intervals, options, objective, r2
    case experimentID = "experiment_id"
    case pointCount = "point_count"
    case createdAt = "created_at"
  }

  public init(
    experimentID: Int64, form: String, parameters: String, intervals: String?, options: String?,
    pointCount: Int, objective: Double, r2: Double?, createdAt: Date = Date()
  ) {
    self.experimentID = experimentID
    self.form = form
    self.parameters = parameters
    self.intervals = intervals
    self.options = options
    self.pointCount = pointCount
    self.objective = objective
    self.r2 = r2
    self.createdAt = createdAt
  }

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension FitRecord {
  /// A fit from typed values, stored as sorted-key JSON.
  public init(
    experimentID: Int64, form: String, parameters: [String: Double], intervals: [String: [Double]]?,
    options: [String: String], pointCount: Int, objective: Double, r2: Double?
  ) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    // A parameter can overflow (A = e^a); JSON has no infinity, so it is written as a string.
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try encoder.encode(value), as: UTF8.self) }
    self.init(
      experimentID: experimentID, form: form, parameters: try json(parameters),
      intervals: try intervals.flatMap { $0.isEmpty ? nil : try json($0) }, options: try json(options),
      pointCount: pointCount, objective: objective, r2: r2)
  }
}
