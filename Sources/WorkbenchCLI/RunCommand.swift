import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog
import WorkbenchTensor

extension RerunPolicy: ExpressibleByArgument {}

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run an experiment: every run of its sweep not yet finished, then its analysis.",
    discussion: """
      Overrides change the experiment before it is validated:
        key=value     change a key            training.lr=3e-4
        key=a,b,c     sweep over values       size=1e5,1e6,1e7
        +key=value    add a key               +fail_at_step=10
        ~key          remove a key            ~noise
      Finished runs are skipped (each run is keyed by a hash of its resolved config, plugin and
      seed); failed and interrupted ones run again. Ctrl-C marks the current run interrupted.

      --backend slurm submits the runs not yet finished as one Slurm job array (a `workbench
      worker` per task, each run into its own shard) and a merge job after it, then returns;
      `workbench status EXP` follows them, and running this again submits only what is not
      finished and not queued. --dry-run prints the batch scripts.
      """)

  @Argument(help: "The experiment file (YAML).", completion: .file(extensions: ["yaml", "yml"]))
  var file: String

  @Argument(help: "Overrides: key=value, key=a,b,c, +key=value, ~key.")
  var overrides: [String] = []

  @Flag(help: "Print the resolved config and the runs it would start, and start nothing.")
  var dryRun = false

  @Option(help: "Which runs to run again: failed (failed and interrupted), all, or none.")
  var rerun: RerunPolicy = .failed

  @Flag(name: .shortAndLong, help: "Print only errors and the final summary.")
  var quiet = false

  @Option(help: "Kernel threads for training (default: $WORKBENCH_THREADS, else the number of cores).")
  var threads: Int?

  @Option(help: "Where the runs execute: local (here) or slurm (a job array; returns once submitted).")
  var backend = ExecutionBackend.local

  @OptionGroup var device: DeviceOptions
  @OptionGroup var log: LogOptions
  @OptionGroup(title: "Slurm options (with --backend slurm)") var slurm: SlurmOptions

  func validate() throws {
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    if backend == .local && !slurm.isEmpty {
      throw ValidationError("--partition, --max-parallel, --pack, --time, --gpus and --sbatch-arg need --backend slurm")
    }
    if backend == .slurm && rerun == .all {
      throw ValidationError(
        "--rerun all cannot be used with --backend slurm: finished runs are never submitted again (delete their folders in runs/ to redo them)"
      )
    }
    if backend == .slurm && threads != nil {
      throw ValidationError(
        "--threads is for local runs; on Slurm a worker uses $SLURM_CPUS_PER_TASK (--sbatch-arg=--cpus-per-task=N)")
    }
  }

  func run() throws {
    if let threads { CPUBackend.setThreads(threads) }
    let experiment = try ResolvedExperiment.load(path: file, overrides: overrides, plugins: InstalledPlugins.all)
    if backend == .slurm { return try submitToSlurm(experiment) }
    if dryRun { return try printDryRun(experiment) }

    let runLog = try RunLog(path: log.path)
    let display = ProgressDisplay(quiet: quiet)
    let selected = try device.select(quiet: quiet)
    let runner = Runner(
      log: runLog, policy: rerun, display: display, backend: selected.backend, deviceDescription: selected.description)
    SignalTrap.shared.install { runner.emergencyStop(signal: $0) }
    let started = Date()
    let outcome: RunOutcome
    do {
      outcome = try runner.run(experiment, output: emit)
    } catch let cancelled as RunCancelled {
      display.finish()
      display.error(
        "\(experiment.name): \(cancelled.description); the current run is marked interrupted and runs again next time")
      throw ExitCode(cancelled.exitCode)
    }
    var summary = "\(experiment.name): \(outcome.finished + outcome.alreadyFinished) of \(outcome.total) runs finished"
    if outcome.diverged > 0 { summary += " (\(outcome.diverged) diverged)" }
    if outcome.failed > 0 { summary += ", \(outcome.failed) failed" }
    if outcome.runningElsewhere > 0 { summary += ", \(outcome.runningElsewhere) running elsewhere" }
    summary += " (\(ProgressDisplay.duration(Date().timeIntervalSince(started))); log: \(runLog.path))"
    writeStandardErrorLine(summary)
    if outcome.failed > 0 {
      throw ExitCode.failure
    }
  }

  private func printDryRun(_ experiment: ResolvedExperiment) throws {
    var statuses: [String: RunStatus] = [:]
    if FileManager.default.fileExists(atPath: log.path) {
      let runLog = try RunLog(path: log.path, readOnly: true)
      for run in try runLog.runs(keys: experiment.runs.map(\.key)) { statuses[run.key] = run.status }
    }
    emit("experiment: \(experiment.name) (plugin \(experiment.plugin.id) \(experiment.plugin.version))")
    if let description = experiment.description { emit("description: \(description)") }
    if let first = experiment.runs.first {
      emit("resolved config (run 1 of \(experiment.runs.count), seed \(first.seed)):")
      let config =
        (try? JSONDecoder().decode(JSONValue.self, from: Data(first.configJSON.utf8))) ?? .string(first.configJSON)
      for line in config.yamlLines() { emit("  \(line)") }
    }
    var table = TextTable(["#", "RUN KEY", "SEED", "STATUS", "WOULD", "SWEPT VALUES"])
    var wouldStart = 0
    for (index, run) in experiment.runs.enumerated() {
      let status = statuses[run.key]
      let starts = rerun.starts(status ?? .pending)
      if starts { wouldStart += 1 }
      table.append([
        String(index + 1), run.key, String(run.seed), status?.rawValue ?? "new", starts ? "start" : "skip",
        run.label.isEmpty ? "-" : run.label,
      ])
    }
    emit(table.render())
    let finished = statuses.values.filter(\.isComplete).count
    emit(
      "\(experiment.runs.count) runs: \(finished) already finished, \(wouldStart) would start (dry run: nothing started)"
    )
  }
}
