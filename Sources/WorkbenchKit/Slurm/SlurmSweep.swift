import Foundation
import WorkbenchFiles
import WorkbenchRunLog

/// Where a run of a sweep sent to Slurm stands, from the home log, the run's shard and Slurm.
public enum SlurmRunState: String, CaseIterable, Sendable {
  case finished, running, pending, preempted, failed, cancelled, stale
  case unsubmitted = "not submitted"

  /// The run-log status that `RerunPolicy.starts` judges a run in this state by, so that
  /// `workbench run --backend slurm` submits exactly what a local run would start; nil while Slurm
  /// holds the run (queued or running). `local` is the home log's status (nil: not there yet).
  /// A task cancelled or lost counts as an interrupted run; a run whose task never reached Slurm
  /// keeps its home status (one left `running` there, by a process now gone, as interrupted).
  public func rerunStatus(local: RunStatus?) -> RunStatus? {
    switch self {
    case .running, .pending: nil
    case .finished: local.flatMap { $0.isComplete ? $0 : nil } ?? .finished
    case .preempted: .preempted
    case .failed: .failed
    case .cancelled, .stale: .interrupted
    case .unsubmitted: local == .running ? .interrupted : local ?? .pending
    }
  }
}

/// One run's line of `workbench status`.
public struct SlurmRunStatus: Sendable {
  public var key: String
  public var label: String
  public var state: SlurmRunState
  /// The array task of the latest submission that holds the run.
  public var task: SlurmTask?
  /// Why: Slurm's state and exit code, the run's error, its heartbeat.
  public var detail: String?
}

/// The runs of a sweep on Slurm and what the refresh imported.
public struct SlurmSweepStatus: Sendable {
  /// In the experiment's plan order.
  public var runs: [SlurmRunStatus]
  /// What importing the shards did.
  public var imported = MergeReport()
  /// The latest submission that `sbatch` accepted.
  public var latest: SlurmLayout.Submission?

  public func count(_ state: SlurmRunState) -> Int { runs.filter { $0.state == state }.count }

  /// `8 finished, 1 failed, 1 cancelled, 0 pending, …`: every state, finished first.
  public var counts: String {
    SlurmRunState.allCases.map { "\(count($0)) \($0.rawValue)" }.joined(separator: ", ")
  }
}

/// What `submit` did.
public struct SlurmSubmitResult: Sendable {
  public var status: SlurmSweepStatus
  /// Runs submitted now (0 when nothing was left to submit).
  public var submitted = 0
  public var submission: SlurmLayout.Submission?
  /// The batch scripts, in submission order (the merge job's last): what `--dry-run` prints.
  public var scripts: [String] = []
}

/// How `workbench run --backend slurm` submits a sweep.
public struct SlurmSubmitOptions: Sendable {
  public var partition: String?
  /// At most this many array tasks run at once (`--array=…%N`).
  public var maxParallel: Int?
  /// Runs per array task (for runs too short to be worth one allocation each).
  public var pack = 1
  /// `--time` per array task, in Slurm's format.
  public var time: String?
  /// `--gpus` per array task.
  public var gpus: String?
  /// More `sbatch` options, passed to every job as given.
  public var sbatchArguments: [String] = []
  /// `--device` of the workers.
  public var device = "auto"
  /// Which runs to submit: `RerunPolicy.starts` on each run's status (`SlurmRunState.rerunStatus`);
  /// runs queued or running in Slurm never. `workbench run --backend slurm` refuses `all`: the merge
  /// keeps a result the home log already has, so a finished run is not submitted from the CLI.
  public var rerun = RerunPolicy.failed

  public init() {}

  /// The `--signal` lead: Slurm warns the worker (SIGUSR1) this long before the time limit, so
  /// it can checkpoint and requeue itself. Two minutes, less for short limits.
  var signalLead: Int {
    guard let time, let seconds = SlurmCluster.seconds(ofTimeLimit: time) else { return 120 }
    return max(min(120, seconds / 4), 1)
  }
}

/// A sweep run on a Slurm cluster: one `sbatch --array` per submission (chunked by the cluster's
/// `MaxArraySize`), each task a `workbench worker` that writes its runs into their own shard
/// files; a merge job (and `status`/`merge` at any time) imports the shards into the home log.
/// The home log is only ever written from here, on the machine that submits; shards only by the
/// one array task that runs them.
public struct SlurmSweep: Sendable {
  public let experiment: ResolvedExperiment
  public let log: RunLog
  /// The home log's path, as the merge job opens it (a dry run reads an in-memory log instead).
  public let logPath: String
  public let layout: SlurmLayout
  public let cluster: SlurmCluster
  /// A shard whose heartbeat is older than this, with no running Slurm task, is stale.
  public let lease: TimeInterval

  public init(
    experiment: ResolvedExperiment, log: RunLog, logPath: String? = nil, runsRoot: URL,
    cluster: SlurmCluster = SlurmCluster(), lease: TimeInterval = 90
  ) {
    self.experiment = experiment
    self.log = log
    self.logPath = logPath ?? log.path
    layout = SlurmLayout(runsRoot: runsRoot, experiment: experiment.name)
    self.cluster = cluster
    self.lease = lease
  }

  /// The experiment of the latest submission under `runsRoot`, resolved from its copy of the
  /// experiment file (what `status NAME` and the merge job use).
  public static func latestExperiment(named name: String, runsRoot: URL, plugins: [AnyExperimentPlugin]) throws
    -> ResolvedExperiment
  {
    let layout = SlurmLayout(runsRoot: runsRoot, experiment: name)
    guard let latest = try layout.submissions().last else {
      throw SlurmError(
        .submission,
        "no Slurm submission of '\(name)' in \(layout.folder.path); submit one with: workbench run FILE --backend slurm"
      )
    }
    return try ResolvedExperiment.load(
      path: latest.manifest.source, overrides: latest.manifest.overrides, plugins: plugins)
  }

  // MARK: Status

  /// Imports every shard of the experiment's runs into the home log (finished runs, and how the
  /// others ended), reads what Slurm says of their tasks, records runs that ended without a shard
  /// to say so (cancelled before they started, killed), and returns where each run stands.
  /// - Parameter apply: false reads only (a dry run): nothing is imported or recorded.
  public func refresh(apply: Bool = true) throws -> SlurmSweepStatus {
    let submissions = try layout.submissions().filter { $0.jobs != nil }
    var latestTask: [String: SlurmTask] = [:]
    var logFolder: [String: URL] = [:]
    var packPosition: [String: Int] = [:]
    for submission in submissions {
      for (index, keys) in submission.manifest.tasks.enumerated() {
        guard let task = submission.jobs?.task(forIndex: index) else { continue }
        for (position, key) in keys.enumerated() {
          latestTask[key] = task
          packPosition[key] = position
          logFolder[key] = submission.folder.appendingPathComponent("logs")
        }
      }
    }
    let keys = experiment.runs.map(\.key)
    var status = SlurmSweepStatus(runs: [], latest: submissions.last)
    // Runs the home log has finished need neither their shard nor Slurm.
    let finishedHere = Set(try log.runs(keys: keys).filter { $0.status.isComplete }.map(\.key))
    // Slurm first, then the shards: a task that ends in between is then read as ended with its
    // shard's final state, never as ended beside a shard read while it still ran (which would
    // record a finished run as failed and submit it again).
    let wantedArrays = Set(keys.filter { !finishedHere.contains($0) }.compactMap { latestTask[$0]?.job })
    let slurm = wantedArrays.isEmpty ? [:] : try cluster.states(ofArrays: Array(wantedArrays))
    let knownArrays = Set(slurm.keys.map(\.job))
    var shards: [String: RunRecord] = [:]
    var shardProblems: [String: String] = [:]
    for key in keys where !finishedHere.contains(key) {
      let path = layout.shard(key: key).path
      guard FileManager.default.fileExists(atPath: path) else { continue }
      do {
        let shard = try RunLog(path: path, readOnly: true)
        guard let record = try shard.runs(keys: [key]).first else { continue }
        shards[key] = record
        if apply && record.status != .running {
          status.imported += try log.merge(from: shard, lease: lease, isAlive: { _ in false })
        }
      } catch let error as RunLogError where error.code != .busy && error.code != .readOnly {
        shardProblems[key] = "its shard \(path) cannot be read: \(error.message)"
      } catch is RunLogError {
        continue  // being created by its worker right now
      }
    }
    let local = Dictionary(uniqueKeysWithValues: try log.runs(keys: keys).map { ($0.key, $0) })

    for run in experiment.runs {
      let task = latestTask[run.key]
      var (state, detail) = Self.state(
        local: local[run.key], shard: shards[run.key], task: task, slurm: task.flatMap { slurm[$0] },
        arrayKnown: task.map { knownArrays.contains($0.job) } ?? false, packed: (packPosition[run.key] ?? 0) > 0,
        lease: lease)
      if let problem = shardProblems[run.key] { detail = Self.joined(detail, problem) }
      if state == .failed, shards[run.key].map({ $0.status != .failed }) ?? true, let task,
        let tail = Self.lastLine(of: logFolder[run.key]!.appendingPathComponent("\(task.job)_\(task.index).out"))
      {
        detail = Self.joined(detail, "log: \(tail)")
      }
      // Recorded here unless the shard says how the run ended (a task killed before its worker
      // claimed the run leaves it pending there, one killed hard leaves it running).
      let shardEnded = shards[run.key].map { $0.status.isComplete || $0.status.isRetryable } ?? false
      if apply, let task, !shardEnded {
        let recorded: RunStatus? =
          switch state {
          case .failed: .failed
          case .preempted: .preempted
          case .cancelled, .stale: .interrupted
          default: nil
          }
        if let recorded {
          try log.markEnded(key: run.key, status: recorded, error: "Slurm task \(task): \(detail ?? state.rawValue)")
        }
      }
      status.runs.append(SlurmRunStatus(key: run.key, label: run.label, state: state, task: task, detail: detail))
    }
    return status
  }

  /// Where one run stands. The home log and the shard say whether it has a result; Slurm says
  /// whether its task is queued, running, or how it ended; a shard's heartbeat covers the time
  /// after Slurm forgot the task.
  /// - Parameter packed: the run follows others in its task (`--pack`), so a running task with no
  ///   shard for it has not reached it yet.
  static func state(
    local: RunRecord?, shard: RunRecord?, task: SlurmTask?, slurm: SlurmTaskState?, arrayKnown: Bool,
    packed: Bool = false, lease: TimeInterval, now: Date = Date()
  ) -> (SlurmRunState, String?) {
    if let done = [local, shard].compactMap({ $0 }).first(where: { $0.status.isComplete }) {
      return (.finished, done.status == .diverged ? "diverged: \(done.error ?? "loss not finite")" : nil)
    }
    guard let task else {
      let detail = local.flatMap { $0.status.isRetryable ? "\($0.status.rawValue) locally: \($0.error ?? "")" : nil }
      return (.unsubmitted, detail)
    }
    let shardNote = shard.map { run -> String in
      switch run.status {
      case .running:
        let age = run.heartbeatAt.map { Int(now.timeIntervalSince($0)) }.map { "heartbeat \($0) s ago" }
        return age ?? "started"
      default: return "\(run.status.rawValue): \(run.error ?? "")"
      }
    }
    if let slurm {
      let exit = slurm.exitCode.map { " (exit \($0))" } ?? ""
      if slurm.isQueued {
        let why = slurm.reason.map { "queued: \($0)" } ?? "queued"
        return (.pending, shard?.status == .preempted ? "\(why); resumes from its checkpoint" : why)
      }
      if slurm.isRunning {
        if shard == nil && packed { return (.pending, "waits for the runs before it in its task") }
        return (.running, shardNote ?? "starting")
      }
      switch slurm.state {
      case "CANCELLED":
        return (.cancelled, joined("Slurm: CANCELLED\(exit)", shardNote))
      case "TIMEOUT", "PREEMPTED":
        return (.preempted, joined("Slurm: \(slurm.state)\(exit)", shardNote))
      default:
        if shard?.status == .preempted { return (.preempted, shardNote) }
        if shard?.status == .failed { return (.failed, shardNote) }
        let what =
          slurm.state == "COMPLETED" ? "the task ended without finishing the run" : "Slurm: \(slurm.state)\(exit)"
        return (.failed, joined(what, shardNote))
      }
    }
    if let shard {
      switch shard.status {
      case .running:
        if let beat = shard.heartbeatAt, now.timeIntervalSince(beat) <= lease { return (.running, shardNote) }
        return (.stale, "\(shardNote ?? "no heartbeat"), and Slurm no longer knows task \(task)")
      case .preempted: return (.preempted, shardNote)
      case .failed: return (.failed, shardNote)
      default: return (.stale, shardNote)
      }
    }
    if arrayKnown { return (.cancelled, "cancelled before it started (Slurm dropped the task)") }
    return (.stale, "Slurm no longer knows task \(task), and it left no shard")
  }

  /// The parts that are there, separated by "; ".
  static func joined(_ parts: String?...) -> String { parts.compactMap { $0 }.joined(separator: "; ") }

  static func lastLine(of url: URL) -> String? {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return nil }
    return text.split(separator: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map(String.init)
  }

  // MARK: Submission

  /// Submits every run that is not finished and not queued or running: one array (chunked by
  /// `MaxArraySize`), then a merge job after it. Returns as soon as `sbatch` accepted the jobs.
  /// - Parameters:
  ///   - options: partition, limits, packing, the rerun policy and extra `sbatch` arguments.
  ///   - binary: the `workbench` executable the jobs run (absolute).
  ///   - workingDirectory: where the jobs start (relative paths in the experiment resolve there).
  ///   - dryRun: render the scripts, write and submit nothing.
  public func submit(
    _ options: SlurmSubmitOptions, binary: String, workingDirectory: String, dryRun: Bool = false
  ) throws -> SlurmSubmitResult {
    if !dryRun && !SlurmCluster.isInstalled {
      throw SlurmError(
        .noSlurm,
        "sbatch not found on the PATH: --backend slurm runs where the Slurm client commands are (a cluster's login node)"
      )
    }
    let status = try refresh(apply: !dryRun)
    let localStatus = Dictionary(
      uniqueKeysWithValues: try log.runs(keys: experiment.runs.map(\.key)).map {
        ($0.key, $0.status)
      })
    let todo = status.runs.filter { run in
      run.state.rerunStatus(local: localStatus[run.key]).map(options.rerun.starts) ?? false
    }
    var result = SlurmSubmitResult(status: status)
    guard !todo.isEmpty else { return result }

    let tasks = stride(from: 0, to: todo.count, by: options.pack).map {
      todo[$0..<min($0 + options.pack, todo.count)].map(\.key)
    }
    let chunk = max(1, cluster.maxArraySize())
    let offsets = Array(stride(from: 0, to: tasks.count, by: chunk))

    let created =
      dryRun
      ? (id: "SUBMISSION", folder: layout.folder.appendingPathComponent("SUBMISSION"))
      : try layout.createSubmissionFolder()
    let sourceCopy = created.folder.appendingPathComponent(
      URL(fileURLWithPath: experiment.sourcePath).lastPathComponent)
    let manifestURL = created.folder.appendingPathComponent("manifest.json")
    let manifest = SlurmManifest(
      format: SlurmManifest.currentFormat, experiment: experiment.name, source: sourceCopy.path,
      originalSource: experiment.sourcePath, overrides: experiment.overrides,
      log: URL(fileURLWithPath: logPath).standardizedFileURL.path, runsRoot: layout.runsRoot.standardizedFileURL.path,
      device: options.device, tasks: tasks, workbenchVersion: Workbench.version, createdAt: Date())
    let logs = created.folder.appendingPathComponent("logs")
    let arrayScripts = offsets.enumerated().map { number, offset in
      Self.arrayScript(
        experiment: experiment.name, manifest: manifestURL, offset: offset, count: min(chunk, tasks.count - offset),
        part: (number + 1, offsets.count), options: options, logs: logs, binary: binary,
        workingDirectory: workingDirectory)
    }
    let mergeScript = Self.mergeScript(
      experiment: experiment.name, log: manifest.log, options: options, logs: logs, binary: binary,
      workingDirectory: workingDirectory)
    result.scripts = arrayScripts + [mergeScript]
    result.submitted = todo.count
    if dryRun { return result }

    try Runner(log: log, display: ProgressDisplay(quiet: true)).register(experiment)
    guard let source = FileManager.default.contents(atPath: experiment.sourcePath) else {
      throw SlurmError(.submission, "cannot read the experiment file \(experiment.sourcePath)")
    }
    try source.writeAtomically(to: sourceCopy)
    try SlurmLayout.encoder.encode(manifest).writeAtomically(to: manifestURL)

    var jobs = SlurmJobs(arrays: [], merge: nil, submittedAt: Date())
    let jobsURL = created.folder.appendingPathComponent("jobs.json")
    for (number, script) in arrayScripts.enumerated() {
      let url = created.folder.appendingPathComponent("array-\(number + 1).sbatch")
      try Data(script.utf8).writeAtomically(to: url)
      // With a limit on parallel tasks, the arrays of a chunked sweep run one after the other.
      let after = options.maxParallel != nil ? jobs.arrays.last.map { ["--dependency=afterany:\($0.id)"] } ?? [] : []
      let id: String
      do {
        id = try cluster.submit(script: url, arguments: after)
      } catch {
        if !jobs.arrays.isEmpty { try SlurmLayout.encoder.encode(jobs).writeAtomically(to: jobsURL) }
        throw error
      }
      jobs.arrays.append(
        SlurmJobs.ArrayJob(id: id, offset: offsets[number], count: min(chunk, tasks.count - offsets[number])))
    }
    try SlurmLayout.encoder.encode(jobs).writeAtomically(to: jobsURL)
    let mergeURL = created.folder.appendingPathComponent("merge.sbatch")
    try Data(mergeScript.utf8).writeAtomically(to: mergeURL)
    jobs.merge = try cluster.submit(
      script: mergeURL, arguments: ["--dependency=afterany:" + jobs.arrays.map(\.id).joined(separator: ":")])
    try SlurmLayout.encoder.encode(jobs).writeAtomically(to: jobsURL)
    result.submission = SlurmLayout.Submission(id: created.id, folder: created.folder, manifest: manifest, jobs: jobs)
    return result
  }

  /// The batch script of one array: each task runs `workbench worker` on its manifest index.
  static func arrayScript(
    experiment: String, manifest: URL, offset: Int, count: Int, part: (Int, Int), options: SlurmSubmitOptions,
    logs: URL, binary: String, workingDirectory: String
  ) -> String {
    var lines = [
      "#!/bin/bash",
      "# workbench: array \(part.0) of \(part.1) of experiment \(experiment) (manifest tasks \(offset)-\(offset + count - 1))",
      "#SBATCH --job-name=wb-\(experiment)",
      "#SBATCH --array=0-\(count - 1)" + (options.maxParallel.map { "%\($0)" } ?? ""),
      "#SBATCH --output=\(logs.path)/%A_%a.out",
      "#SBATCH --open-mode=append",
      "#SBATCH --requeue",
      "#SBATCH --signal=B:USR1@\(options.signalLead)",
      "#SBATCH --chdir=\(workingDirectory)",
    ]
    if let partition = options.partition { lines.append("#SBATCH --partition=\(partition)") }
    if let time = options.time { lines.append("#SBATCH --time=\(time)") }
    if let gpus = options.gpus { lines.append("#SBATCH --gpus=\(gpus)") }
    lines += options.sbatchArguments.map { "#SBATCH \($0)" }
    lines.append(
      "exec \(shellQuoted(binary)) worker --manifest \(shellQuoted(manifest.path)) --index $((\(offset) + SLURM_ARRAY_TASK_ID))"
    )
    return lines.joined(separator: "\n") + "\n"
  }

  /// The batch script of the merge job.
  static func mergeScript(
    experiment: String, log: String, options: SlurmSubmitOptions, logs: URL, binary: String, workingDirectory: String
  ) -> String {
    var lines = [
      "#!/bin/bash",
      "# workbench: imports the shards of experiment \(experiment) into its log once the array ended",
      "#SBATCH --job-name=wb-merge-\(experiment)",
      "#SBATCH --output=\(logs.path)/merge-%j.out",
      "#SBATCH --chdir=\(workingDirectory)",
    ]
    if let partition = options.partition { lines.append("#SBATCH --partition=\(partition)") }
    lines += options.sbatchArguments.map { "#SBATCH \($0)" }
    lines.append("exec \(shellQuoted(binary)) merge \(shellQuoted(experiment)) --log \(shellQuoted(log))")
    return lines.joined(separator: "\n") + "\n"
  }

  static func shellQuoted(_ text: String) -> String {
    if !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+:=@".contains($0) }) { return text }
    return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }
}
