import Foundation

/// What Slurm says about one array task (read from its commands' output, never made elsewhere).
public struct SlurmTaskState: Sendable, Equatable {
  /// Slurm's job state: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED, …
  public var state: String
  /// `exit:signal`, e.g. `3:0`.
  public var exitCode: String?
  public var reason: String?

  /// Waiting to start (or to start again after a requeue).
  public var isQueued: Bool {
    ["PENDING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "CONFIGURING", "RESV_DEL_HOLD", "SUSPENDED"].contains(state)
  }

  public var isRunning: Bool { ["RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING", "RESIZING"].contains(state) }
}

/// The Slurm client commands (`sbatch`, `scontrol`, `sacct`) as workbench uses them. Terminal
/// states come from `scontrol show job` while the controller remembers the job (`MinJobAge`,
/// 300 s by default), then from `sacct` when accounting is on, else from the job-completion log
/// (`JobCompType=jobcomp/filetxt`).
public struct SlurmCluster: Sendable {
  public init() {}

  /// Whether the Slurm client commands are installed (`sbatch` on the PATH).
  public static var isInstalled: Bool { Subprocess.find("sbatch") != nil }

  /// `MaxArraySize` of the cluster (the largest array index is one less); Slurm's default when it
  /// cannot be read.
  public func maxArraySize() -> Int {
    guard let config = try? configuration(), let value = config["MaxArraySize"].flatMap({ Int($0) }), value > 0
    else { return 1001 }
    return value
  }

  /// `scontrol show config` as key → value.
  func configuration() throws -> [String: String] {
    let result = try Self.run("scontrol", ["show", "config"])
    guard result.status == 0 else { throw SlurmError(.slurmFailed, "scontrol show config failed: \(result.errorLine)") }
    var values: [String: String] = [:]
    for line in result.stdout.split(separator: "\n") {
      guard let equals = line.firstIndex(of: "=") else { continue }
      let key = line[..<equals].trimmingCharacters(in: .whitespaces)
      values[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
    }
    return values
  }

  /// Submits a batch script and returns its job id (`sbatch --parsable`).
  public func submit(script: URL, arguments: [String] = []) throws -> String {
    let result = try Self.run("sbatch", ["--parsable"] + arguments + [script.path])
    guard result.status == 0 else {
      throw SlurmError(.slurmFailed, "sbatch refused \(script.path): \(result.errorLine)")
    }
    let id = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init)
    guard let id, !id.isEmpty, id.allSatisfy(\.isNumber) else {
      throw SlurmError(.slurmFailed, "sbatch printed no job id for \(script.path): \(result.stdout)")
    }
    return id
  }

  /// Requeues a task of this job (from inside it: the worker after SIGUSR1).
  public func requeue(_ task: String) throws {
    let result = try Self.run("scontrol", ["requeue", task])
    guard result.status == 0 else {
      throw SlurmError(.slurmFailed, "scontrol requeue \(task) failed: \(result.errorLine)")
    }
  }

  /// The state of every task of these array jobs that Slurm still knows about.
  /// - Throws: `SlurmError` when the controller cannot be reached (an unknown job is not an error).
  public func states(ofArrays jobs: [String]) throws -> [SlurmTask: SlurmTaskState] {
    var states: [SlurmTask: SlurmTaskState] = [:]
    var forgotten: [String] = []
    for job in Set(jobs).sorted() {
      let result = try Self.run("scontrol", ["show", "job", "-o", job])
      if result.status != 0 {
        guard result.stderr.contains("Invalid job id") else {
          throw SlurmError(.slurmFailed, "cannot ask Slurm about job \(job): \(result.errorLine)")
        }
        forgotten.append(job)
        continue
      }
      for (task, state) in Self.parseJobRecords(result.stdout) where task.job == job { states[task] = state }
    }
    guard !forgotten.isEmpty else { return states }
    let wanted = Set(forgotten)
    if let accounting = try? Self.run(
      "sacct", ["-n", "-P", "-X", "-j", forgotten.joined(separator: ","), "--format=JobID,State,ExitCode"]),
      accounting.status == 0
    {
      for (task, state) in Self.parseAccounting(accounting.stdout) where wanted.contains(task.job) {
        states[task] = state
      }
    }
    if let config = try? configuration(), config["JobCompType"] == "jobcomp/filetxt",
      let location = config["JobCompLoc"], let text = try? String(contentsOfFile: location, encoding: .utf8)
    {
      for (task, state) in Self.parseJobRecords(text) where wanted.contains(task.job) && states[task] == nil {
        states[task] = state
      }
    }
    return states
  }

  // MARK: Parsing

  /// Array tasks in `scontrol show job -o` output or a `jobcomp/filetxt` log: one record per line,
  /// `Key=Value` fields. A pending remainder of an array (`ArrayTaskId=2-9%2`) stands for each of its
  /// tasks. Later lines win (a requeued task's last record is its state).
  public static func parseJobRecords(_ text: String) -> [(SlurmTask, SlurmTaskState)] {
    var records: [(SlurmTask, SlurmTaskState)] = []
    for line in text.split(separator: "\n") {
      var fields: [Substring: Substring] = [:]
      for token in line.split(separator: " ") {
        guard let equals = token.firstIndex(of: "=") else { continue }
        fields[token[..<equals]] = token[token.index(after: equals)...]
      }
      guard let job = fields["ArrayJobId"], let tasks = fields["ArrayTaskId"], let state = fields["JobState"] else {
        continue
      }
      let value = SlurmTaskState(
        state: String(state), exitCode: fields["ExitCode"].map(String.init),
        reason: fields["Reason"].map(String.init).flatMap { $0 == "None" ? nil : $0 })
      for index in expandIndices(String(tasks)) { records.append((SlurmTask(job: String(job), index: index), value)) }
    }
    return records
  }

  /// `sacct -n -P -X --format=JobID,State,ExitCode` lines: `12_3|COMPLETED|0:0`,
  /// `12_[4-9%2]|PENDING|0:0`, `12_5|CANCELLED by 0|0:15`.
  public static func parseAccounting(_ text: String) -> [(SlurmTask, SlurmTaskState)] {
    var records: [(SlurmTask, SlurmTaskState)] = []
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: "|", omittingEmptySubsequences: false)
      guard parts.count >= 3, let underscore = parts[0].firstIndex(of: "_") else { continue }
      let job = String(parts[0][..<underscore])
      let tasks = parts[0][parts[0].index(after: underscore)...].trimmingCharacters(
        in: CharacterSet(charactersIn: "[]"))
      let state = parts[1].split(separator: " ").first.map(String.init) ?? ""
      for index in expandIndices(tasks) {
        records.append((SlurmTask(job: job, index: index), SlurmTaskState(state: state, exitCode: String(parts[2]))))
      }
    }
    return records
  }

  /// `3`, `0-9%2`, `1,3,5-7`, `1-7:2` → the indices.
  public static func expandIndices(_ spec: String) -> [Int] {
    let body = spec.split(separator: "%").first.map(String.init) ?? spec
    var indices: [Int] = []
    for item in body.split(separator: ",") {
      let stepParts = item.split(separator: ":")
      let step = stepParts.count > 1 ? max(Int(stepParts[1]) ?? 1, 1) : 1
      let bounds = stepParts[0].split(separator: "-")
      guard let low = bounds.first.flatMap({ Int($0) }) else { continue }
      let high = bounds.count > 1 ? Int(bounds[1]) ?? low : low
      guard high >= low else { continue }
      indices += Array(stride(from: low, through: high, by: step))
    }
    return indices
  }

  /// `--time` in Slurm's formats (`M`, `M:S`, `H:M:S`, `D-H`, `D-H:M`, `D-H:M:S`) as seconds.
  public static func seconds(ofTimeLimit text: String) -> Int? {
    let dayParts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard dayParts.count <= 2 else { return nil }
    let numbers = { (part: Substring) -> [Int]? in
      let fields = part.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
      guard fields.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
      return fields.map { $0! }
    }
    if dayParts.count == 2 {
      guard let days = Int(dayParts[0]), days >= 0, let rest = numbers(dayParts[1]), (1...3).contains(rest.count)
      else { return nil }
      let padded = rest + Array(repeating: 0, count: 3 - rest.count)
      return days * 86_400 + padded[0] * 3600 + padded[1] * 60 + padded[2]
    }
    guard let fields = numbers(dayParts[0]) else { return nil }
    switch fields.count {
    case 1: return fields[0] * 60
    case 2: return fields[0] * 60 + fields[1]
    case 3: return fields[0] * 3600 + fields[1] * 60 + fields[2]
    default: return nil
    }
  }

  // MARK: Running the commands

  static func run(_ tool: String, _ arguments: [String]) throws -> Subprocess.Result {
    guard let path = Subprocess.find(tool) else {
      throw SlurmError(
        .noSlurm, "\(tool) not found on the PATH: the Slurm client commands are needed for --backend slurm")
    }
    return try Subprocess.run(path, arguments)
  }
}
