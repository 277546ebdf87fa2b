import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog
import WorkbenchTensor

/// Where `workbench run` executes the runs.
enum ExecutionBackend: String, ExpressibleByArgument, CaseIterable {
  case local, slurm
}

/// The options of `workbench run --backend slurm`.
struct SlurmOptions: ParsableArguments {
  @Option(help: "Slurm partition of the jobs.")
  var partition: String?

  @Option(help: "At most this many array tasks run at once (sbatch --array=…%N).")
  var maxParallel: Int?

  @Option(help: "Runs per array task, for runs too short to be worth a job each.")
  var pack = 1

  @Option(help: "Time limit per array task, in Slurm's format (e.g. 30, 2:00:00, 1-0).")
  var time: String?

  @Option(help: "GPUs per array task (sbatch --gpus); pair it with --device vulkan.")
  var gpus: String?

  @Option(
    name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue,
    help: ArgumentHelp("Another sbatch option, passed as given (repeatable).", valueName: "option"))
  var sbatchArguments: [String] = []

  var isEmpty: Bool {
    partition == nil && maxParallel == nil && pack == 1 && time == nil && gpus == nil && sbatchArguments.isEmpty
  }

  func validate() throws {
    if let maxParallel, maxParallel < 1 { throw ValidationError("--max-parallel must be at least 1") }
    if pack < 1 { throw ValidationError("--pack must be at least 1") }
    if let time, SlurmCluster.seconds(ofTimeLimit: time) == nil {
      throw ValidationError("--time \(time) is not a Slurm time (minutes, M:S, H:M:S, D-H, D-H:M or D-H:M:S)")
    }
  }

  func submitOptions(device: String, rerun: RerunPolicy) -> SlurmSubmitOptions {
    var options = SlurmSubmitOptions()
    options.partition = partition
    options.maxParallel = maxParallel
    options.pack = pack
    options.time = time
    options.gpus = gpus
    options.sbatchArguments = sbatchArguments
    options.device = device
    options.rerun = rerun
    return options
  }
}

extension RunCommand {
  /// `run --backend slurm`: submit what is left to do and return.
  func submitToSlurm(_ experiment: ResolvedExperiment) throws {
    // A dry run writes nothing: it reads the log when there is one, else an empty one in memory.
    let runLog =
      !dryRun
      ? try RunLog(path: log.path)
      : FileManager.default.fileExists(atPath: log.path)
        ? try RunLog(path: log.path, readOnly: true) : try RunLog(inMemory: ())
    let sweep = SlurmSweep(
      experiment: experiment, log: runLog, logPath: log.path, runsRoot: Runner.runsRoot(besideLog: log.path))
    let options = slurm.submitOptions(device: device.device, rerun: rerun)
    let result = try sweep.submit(
      options, binary: currentExecutable(), workingDirectory: FileManager.default.currentDirectoryPath, dryRun: dryRun)
    let status = result.status
    let total = status.runs.count
    if dryRun {
      for (number, script) in result.scripts.enumerated() {
        emit(number == result.scripts.count - 1 ? "# --- merge job (after the array)" : "# --- array job")
        emit(String(script.dropLast()))
      }
      writeStandardErrorLine(
        "\(experiment.name): \(total) runs, \(status.count(.finished)) finished; \(result.submitted) would be submitted (dry run: nothing written or submitted)"
      )
      return
    }
    guard let submission = result.submission, let jobs = submission.jobs else {
      let active = status.count(.pending) + status.count(.running)
      if active > 0 {
        writeStandardErrorLine(
          "\(experiment.name): \(status.count(.finished)) of \(total) runs finished, \(active) still queued or running on Slurm; nothing to submit (workbench status \(experiment.name))"
        )
      } else {
        writeStandardErrorLine("\(experiment.name): all \(total) runs are finished; nothing to submit")
        try Runner(log: runLog, display: ProgressDisplay(quiet: true)).analyze(experiment, output: emit)
      }
      return
    }
    let tasks = submission.manifest.tasks.count
    let arrays = jobs.arrays.map { "\($0.id) (tasks 0-\($0.count - 1))" }.joined(separator: ", ")
    var summary =
      "\(experiment.name): \(total) runs, \(status.count(.finished)) finished; submitted \(result.submitted)"
    summary += " as \(tasks) array task\(tasks == 1 ? "" : "s")"
    if slurm.pack > 1 { summary += " of up to \(slurm.pack) runs" }
    if let limit = slurm.maxParallel { summary += ", at most \(limit) at once" }
    writeStandardErrorLine(summary)
    emit("array job\(jobs.arrays.count == 1 ? "" : "s") \(arrays); merge job \(jobs.merge ?? "-") after the array ends")
    writeStandardErrorLine(
      "files: \(submission.folder.path)/  ·  follow: workbench status \(experiment.name)\(log.explicitPath.map { " --log \($0)" } ?? "")"
    )
  }
}

/// The path of the running `workbench` executable, for the batch scripts.
func currentExecutable() -> String {
  let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
  if link != "/proc/self/exe", FileManager.default.isExecutableFile(atPath: link) { return link }
  return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
}

/// The experiment (its file or its name) as of its latest Slurm submission, with its shards
/// imported into the log and the state of every run.
private func refreshedSlurmSweep(_ reference: String, overrides: [String], log path: String) throws
  -> (experiment: ResolvedExperiment, log: RunLog, status: SlurmSweepStatus)
{
  var name = reference
  if FileManager.default.fileExists(atPath: reference) {
    name = try ResolvedExperiment.load(path: reference, overrides: overrides, plugins: InstalledPlugins.all).name
  }
  let runsRoot = Runner.runsRoot(besideLog: path)
  let experiment = try SlurmSweep.latestExperiment(named: name, runsRoot: runsRoot, plugins: InstalledPlugins.all)
  let log = try RunLog(path: path)
  let status = try SlurmSweep(experiment: experiment, log: log, runsRoot: runsRoot).refresh()
  return (experiment, log, status)
}

/// Prints the state counts and a line per run (unfinished ones unless `all`).
private func printStatus(_ status: SlurmSweepStatus, experiment: String, all: Bool) {
  let imported = status.imported.imported + status.imported.updated
  if imported > 0 { emit("imported \(imported) run\(imported == 1 ? "" : "s") from their shards") }
  let latest = status.latest.map { submission -> String in
    let arrays = submission.jobs?.arrays.map(\.id).joined(separator: ", ") ?? "-"
    return "; latest submission \(submission.id): array \(arrays), merge \(submission.jobs?.merge ?? "-")"
  }
  emit("\(experiment): \(status.runs.count) runs\(latest ?? "")")
  emit(status.counts)
  let shown = status.runs.filter { all || $0.state != .finished }
  guard !shown.isEmpty else { return }
  var table = TextTable(["RUN", "STATE", "SLURM TASK", "SWEPT VALUES", "DETAIL"])
  for run in shown {
    table.append([
      String(run.key.prefix(12)), run.state.rawValue, run.task?.description ?? "-",
      run.label.isEmpty ? "-" : run.label, run.detail ?? "",
    ])
  }
  emit(table.render())
}

struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Where the runs of an experiment submitted to Slurm stand; imports what finished.",
    discussion: """
      Reads each run's shard and Slurm's state of its array task (scontrol while the controller
      remembers the job, then sacct or the job-completion log), imports finished shards into the
      log, and records runs that ended without a result. States: finished, running, pending,
      preempted (stopped by the scheduler after a checkpoint), failed, cancelled, stale (no heartbeat
      and no Slurm task), not submitted. `workbench run FILE --backend slurm` again submits the
      preempted, failed, cancelled, stale and unsubmitted ones.
      """)

  @Argument(help: "The experiment: its file, or its name.")
  var experiment: String

  @Argument(help: "The overrides it was submitted with, when they changed its name.")
  var overrides: [String] = []

  @Flag(help: "List every run, finished ones too.")
  var all = false

  @Flag(help: "Print JSON (the counts and every run) instead of a table.")
  var json = false

  @OptionGroup var log: LogOptions

  func run() throws {
    let refreshed = try refreshedSlurmSweep(experiment, overrides: overrides, log: log.path)
    guard json else { return printStatus(refreshed.status, experiment: refreshed.experiment.name, all: all) }
    let status = refreshed.status
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let document = SlurmStatusJSON(
      experiment: refreshed.experiment.name,
      counts: Dictionary(uniqueKeysWithValues: SlurmRunState.allCases.map { ($0.rawValue, status.count($0)) }),
      runs: status.runs.map {
        .init(key: $0.key, label: $0.label, state: $0.state.rawValue, task: $0.task?.description, detail: $0.detail)
      })
    emit(String(decoding: try encoder.encode(document), as: UTF8.self))
  }
}

/// `status --json`.
private struct SlurmStatusJSON: Encodable {
  struct Run: Encodable {
    var key: String
    var label: String
    var state: String
    var task: String?
    var detail: String?
  }

  var experiment: String
  var counts: [String: Int]
  var runs: [Run]
}

struct SweepMergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Import the shards of an experiment's Slurm runs into the log; analyse it once all finished.",
    discussion: """
      What the merge job of `workbench run --backend slurm` runs after the array; also safe to run
      by hand at any time (importing is idempotent by run key). To import whole log files from
      other machines, see `workbench log merge`.
      """)

  @Argument(help: "The experiment: its file, or its name.")
  var experiment: String

  @Argument(help: "The overrides it was submitted with, when they changed its name.")
  var overrides: [String] = []

  @OptionGroup var log: LogOptions

  func run() throws {
    let (resolved, runLog, status) = try refreshedSlurmSweep(experiment, overrides: overrides, log: log.path)
    printStatus(status, experiment: resolved.name, all: false)
    if status.count(.finished) == status.runs.count {
      try Runner(log: runLog, display: ProgressDisplay(quiet: true)).analyze(resolved, output: emit)
    } else {
      emit("the analysis runs once every run is finished (\(status.count(.finished)) of \(status.runs.count))")
    }
  }
}

struct WorkerCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "worker",
    abstract: "Run the runs of one Slurm array task (what `run --backend slurm` submits).",
    discussion: """
      Each run writes its own shard (runs/<experiment>/<run key>/shard.sqlite) with a heartbeat; a
      run its shard has finished is skipped. On SIGTERM or SIGUSR1 the run saves its checkpoint and
      is recorded preempted; after SIGUSR1 (Slurm's warning before the time limit) the task requeues
      itself and resumes from the checkpoint. Threads: --threads, else the CPUs Slurm gave the task
      ($SLURM_CPUS_PER_TASK, else $SLURM_CPUS_ON_NODE).
      """)

  @Option(help: "The submission's manifest.json.", completion: .file(extensions: ["json"]))
  var manifest: String

  @Option(help: "The manifest index of this task ($SLURM_ARRAY_TASK_ID plus the array's offset).")
  var index: Int

  @Option(help: "Kernel threads for training.")
  var threads: Int?

  func run() throws {
    let environment = ProcessInfo.processInfo.environment
    // The CPUs Slurm allocated, not the node's: without cgroups nothing else stops oversubscription.
    let allocated = (environment["SLURM_CPUS_PER_TASK"] ?? environment["SLURM_CPUS_ON_NODE"]).flatMap { Int($0) }
    if let threads = threads ?? allocated, threads > 0 {
      CPUBackend.setThreads(threads)
    }
    let worker = try SlurmWorker(manifest: URL(fileURLWithPath: manifest), index: index, plugins: InstalledPlugins.all)
    let selected = try DeviceOptions.select(worker.manifest.device)
    SignalTrap.shared.install(signals: [SIGINT, SIGTERM, SIGUSR1]) { worker.emergencyStop(signal: $0) }
    let task = environment["SLURM_ARRAY_JOB_ID"].map { "\($0)_\(environment["SLURM_ARRAY_TASK_ID"] ?? "?")" }
    writeStandardErrorLine(
      "workbench worker: \(worker.experiment.name) task \(index)\(task.map { " (Slurm \($0))" } ?? ""), \(worker.keys.count) run(s) on \(ProcessIdentity.host), \(selected.description)"
    )
    let outcome: RunOutcome
    do {
      outcome = try worker.run(
        display: ProgressDisplay(quiet: false), backend: selected.backend, deviceDescription: selected.description,
        output: emit)
    } catch let cancelled as RunCancelled {
      writeStandardErrorLine("workbench worker: \(cancelled.description); the run saved its checkpoint (preempted)")
      if cancelled.signal == SIGUSR1, let task {
        // Slurm stops this process as part of the requeue: say so first.
        writeStandardErrorLine("workbench worker: requeueing \(task); it resumes from the checkpoint")
        do { try SlurmCluster().requeue(task) } catch { writeStandardErrorLine("workbench worker: \(error)") }
      }
      throw ExitCode(cancelled.exitCode)
    }
    if outcome.failed > 0 { throw ExitCode.failure }
  }
}
