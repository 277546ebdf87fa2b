import Foundation
import WorkbenchErrors

/// One submission of a sweep to Slurm, frozen before `sbatch` runs: which runs each array task
/// runs, and what a worker on a compute node needs to run them. Written as
/// `runs/<experiment>/slurm/<submission>/manifest.json`, beside the copy of the experiment file the
/// workers resolve (so editing the file after submitting changes nothing that is queued).
public struct SlurmManifest: Codable, Sendable, Equatable {
  public static let currentFormat = 1

  public var format: Int
  public var experiment: String
  /// The copy of the experiment file taken at submission (absolute path).
  public var source: String
  /// The experiment file it was copied from, as given to `workbench run`.
  public var originalSource: String
  public var overrides: [String]
  /// The home log (absolute): where `workbench merge` imports the shards.
  public var log: String
  /// `runs/` beside the home log (absolute): run folders, checkpoints and shards.
  public var runsRoot: String
  /// `--device` of the workers.
  public var device: String
  /// Array index → the run keys that task runs, one after the other.
  public var tasks: [[String]]
  public var workbenchVersion: String
  public var createdAt: Date

  enum CodingKeys: String, CodingKey {
    case format, experiment, source, overrides, log, device, tasks
    case originalSource = "original_source"
    case runsRoot = "runs_root"
    case workbenchVersion = "workbench_version"
    case createdAt = "created_at"
  }
}

/// The Slurm jobs one submission became, written once `sbatch` accepted them.
public struct SlurmJobs: Codable, Sendable, Equatable {
  /// One `sbatch --array` job: manifest indices `offset ..< offset + count` are its tasks `0 ..< count`.
  public struct ArrayJob: Codable, Sendable, Equatable {
    public var id: String
    public var offset: Int
    public var count: Int
  }

  public var arrays: [ArrayJob]
  /// The job that merges the shards once every array task ended.
  public var merge: String?
  public var submittedAt: Date

  enum CodingKeys: String, CodingKey {
    case arrays, merge
    case submittedAt = "submitted_at"
  }

  /// The Slurm task that runs manifest index `index`.
  public func task(forIndex index: Int) -> SlurmTask? {
    arrays.first { (0..<$0.count).contains(index - $0.offset) }.map { SlurmTask(job: $0.id, index: index - $0.offset) }
  }
}

/// One element of a Slurm job array: `<array job id>_<task id>`, the only stable name of a task
/// (a task's own job id is assigned when it leaves the pending array).
public struct SlurmTask: Hashable, Sendable, CustomStringConvertible {
  public var job: String
  public var index: Int

  public var description: String { "\(job)_\(index)" }
}

/// Where the files of an experiment's Slurm submissions live, under the runs folder beside the log:
///
///     runs/<experiment>/slurm/<submission>/   manifest.json, jobs.json, the experiment file's copy,
///                                             array-<n>.sbatch, merge.sbatch, logs/<job>_<task>.out
///     runs/<experiment>/<run key>/shard.sqlite  the run's own log, written only by its array task
public struct SlurmLayout: Sendable {
  public let runsRoot: URL
  public let experiment: String

  public init(runsRoot: URL, experiment: String) {
    self.runsRoot = runsRoot
    self.experiment = experiment
  }

  public var folder: URL { runsRoot.appendingPathComponent(experiment).appendingPathComponent("slurm") }

  /// The log one run's array task writes, in the run's folder beside its checkpoint.
  public func shard(key: String) -> URL {
    runsRoot.appendingPathComponent(experiment).appendingPathComponent(key).appendingPathComponent("shard.sqlite")
  }

  /// A submission read back from its folder.
  public struct Submission: Sendable {
    public var id: String
    public var folder: URL
    public var manifest: SlurmManifest
    /// nil when `sbatch` never accepted it.
    public var jobs: SlurmJobs?
  }

  /// Every submission of the experiment, oldest first.
  /// - Throws: `SlurmError` naming a manifest or jobs file that cannot be read.
  public func submissions() throws -> [Submission] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    var found: [Submission] = []
    for name in names.sorted() where !name.hasPrefix(".") {
      let directory = folder.appendingPathComponent(name)
      let manifestURL = directory.appendingPathComponent("manifest.json")
      guard FileManager.default.fileExists(atPath: manifestURL.path) else { continue }
      let manifest = try Self.decode(SlurmManifest.self, from: manifestURL)
      let jobsURL = directory.appendingPathComponent("jobs.json")
      let jobs =
        FileManager.default.fileExists(atPath: jobsURL.path) ? try Self.decode(SlurmJobs.self, from: jobsURL) : nil
      found.append(Submission(id: name, folder: directory, manifest: manifest, jobs: jobs))
    }
    return found
  }

  /// A new submission folder, named by the UTC time (sortable), with its `logs/` folder.
  func createSubmissionFolder(now: Date = Date()) throws -> (id: String, folder: URL) {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    let stem = formatter.string(from: now)
    var id = stem
    var n = 1
    while FileManager.default.fileExists(atPath: folder.appendingPathComponent(id).path) {
      n += 1
      id = "\(stem)-\(n)"
    }
    let directory = folder.appendingPathComponent(id)
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("logs"), withIntermediateDirectories: true)
    return (id, directory)
  }

  static let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
  }()

  static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    do {
      return try decoder.decode(type, from: Data(contentsOf: url))
    } catch {
      throw SlurmError(.submission, "cannot read \(url.path): \(error.localizedDescription)")
    }
  }
}

/// A Slurm command failed, or a submission's files cannot be used; the message says which and why.
public typealias SlurmError = CodedError<SlurmErrorCode>

/// `noSlurm`: the Slurm client commands are not on the PATH; `slurmFailed`: a Slurm command
/// failed or answered what workbench cannot read; `submission`: a submission's files (manifest,
/// experiment file) are missing or do not fit this run.
public enum SlurmErrorCode: String, ErrorCodes { case noSlurm, slurmFailed, submission }
