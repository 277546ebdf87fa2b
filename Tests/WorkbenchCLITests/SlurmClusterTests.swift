import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchTestSupport

/// Why the Slurm tests cannot run here, or nil when a cluster answers (`scripts/slurm-test-cluster
/// start` makes a one-node one; `.ci/run` does).
private let slurmUnavailable: String? = {
  guard let sinfo = try? tool("sinfo", ["--noheader", "--format=%T"]), sinfo.status != 127 else {
    return "Slurm tests skipped: sbatch/sinfo not on the PATH (start a test cluster: scripts/slurm-test-cluster start)"
  }
  guard sinfo.status == 0, !sinfo.stdout.isEmpty else {
    let why = sinfo.stderr.split(separator: "\n").first.map(String.init) ?? "no node"
    return
      "Slurm tests skipped: Slurm is installed but no cluster answers (\(why)); set SLURM_CONF or run scripts/slurm-test-cluster start"
  }
  return nil
}()

/// The job ids `run --backend slurm` printed: `array jobs 12 (tasks 0-3), 13 (tasks 0-1); merge job 14 …`.
private func jobIDs(_ output: String) -> (arrays: [String], merge: String)? {
  guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("array job") }),
    let semicolon = line.firstIndex(of: ";")
  else { return nil }
  let arrays = line[..<semicolon].split(separator: " ").filter { $0.allSatisfy(\.isNumber) }.map(String.init)
  let after = line[semicolon...].split(separator: " ")
  guard let job = after.firstIndex(of: "job"), job + 1 < after.count, !arrays.isEmpty else { return nil }
  return (arrays, String(after[job + 1]))
}

/// Whether Slurm has forgotten or finished `job` (no longer queued or running).
private func ended(_ job: String) -> Bool {
  guard let queue = try? tool("squeue", ["--noheader", "--jobs=\(job)", "--format=%T"]) else { return true }
  return queue.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
}

/// The Slurm state of one array task (`squeue` while queued or running).
private func taskState(_ task: String) -> String? {
  let queue = try? tool("squeue", ["--noheader", "--array", "--format=%i %T"])
  return queue?.stdout.split(separator: "\n").first { $0.hasPrefix(task + " ") }.map {
    String($0.split(separator: " ")[1])
  }
}

/// The run keys of an experiment in plan order, from `run --dry-run`.
private func plannedKeys(_ file: String, in folder: URL) throws -> [String] {
  let dry = try WorkbenchProcess.run(["run", file, "--dry-run"], in: folder)
  return dry.stdout.split(separator: "\n").compactMap { line in
    let fields = line.split(separator: " ")
    guard fields.count > 1, fields[1].count == 16, fields[1].allSatisfy(\.isHexDigit) else { return nil }
    return String(fields[1])
  }
}

/// Every metric of a log as `key name step value tokens flops` lines, sorted (elapsed times differ between runs).
private func metricTable(_ log: String) throws -> [String] {
  let rows = try sqlite3(
    log,
    "SELECT r.key, m.name, m.step, m.value, m.tokens, m.flops FROM metric m JOIN run r ON r.id = m.run_id ORDER BY 1, 2, 3",
    readOnly: true)
  return rows.stdout.split(separator: "\n").map(String.init)
}

@Suite(.serialized, .enabled(if: slurmUnavailable == nil, Comment(rawValue: slurmUnavailable ?? "")))
struct SlurmClusterTests {
  let folder = TemporaryDirectory("workbench-slurm-test")
  var log: String { folder.path("workbench.sqlite") }

  @Test func smokeSweepAsAnArrayEqualsALocalRun() throws {
    let curves = try String(
      contentsOf: packageRoot.appendingPathComponent("experiments/curves.yaml"), encoding: .utf8)
    folder.write("curves.yaml", curves)
    let options = ["--backend", "slurm", "--max-parallel", "2", "--pack", "2"]
    let dry = try WorkbenchProcess.run(["run", "curves.yaml"] + options + ["--dry-run"], in: folder.url)
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(dry.stdout.contains("#SBATCH --array=0-3%2\n") && dry.stdout.contains("#SBATCH --array=0-0%2\n"))
    #expect(dry.stderr.contains("10 would be submitted (dry run: nothing written or submitted)"))
    #expect(
      !FileManager.default.fileExists(atPath: folder.path("runs")) && !FileManager.default.fileExists(atPath: log))
    let started = Date()
    let submit = try WorkbenchProcess.run(
      ["run", "curves.yaml"] + options, in: folder.url)
    // Submitting returns once sbatch accepted the jobs (a debug binary, two sbatch calls).
    #expect(Date().timeIntervalSince(started) < 10)
    #expect(submit.status == 0, "\(submit.stderr)")
    #expect(
      submit.stderr.contains(
        "curves: 10 runs, 0 finished; submitted 10 as 5 array tasks of up to 2 runs, at most 2 at once"))
    let jobs = try #require(jobIDs(submit.stdout), "\(submit.stdout)")
    // While the runs are queued or running, submitting again submits nothing.
    let twice = try WorkbenchProcess.run(["run", "curves.yaml", "--backend", "slurm"], in: folder.url)
    #expect(twice.status == 0 && twice.stderr.contains("nothing to submit"), "\(twice.stderr)")
    let scripts = try FileManager.default.contentsOfDirectory(
      atPath: folder.path("runs/curves/slurm"))
    #expect(scripts.count == 1)
    // The test cluster's MaxArraySize is 4: five tasks are two arrays, the second after the first.
    #expect(jobs.arrays.count == 2)
    let submission = folder.path("runs/curves/slurm/\(scripts[0])")
    let first = try String(contentsOfFile: "\(submission)/array-1.sbatch", encoding: .utf8)
    let second = try String(contentsOfFile: "\(submission)/array-2.sbatch", encoding: .utf8)
    #expect(first.contains("#SBATCH --array=0-3%2\n") && first.contains("--index $((0 + SLURM_ARRAY_TASK_ID))"))
    #expect(second.contains("#SBATCH --array=0-0%2\n") && second.contains("--index $((4 + SLURM_ARRAY_TASK_ID))"))
    #expect(eventually(timeout: 300) { ended(jobs.merge) })

    // The merge job imported what was left (the second `run` above imports the shards of runs that
    // had already finished, as many as the runs' speed allows), saw every run finished and
    // analysed the experiment; the log below holds each run once, from one attempt.
    let mergeLog = try String(
      contentsOfFile: folder.path("runs/curves/slurm/\(scripts[0])/logs/merge-\(jobs.merge).out"), encoding: .utf8)
    #expect(mergeLog.contains(" from their shards"), "\(mergeLog)")
    #expect(mergeLog.contains("10 finished, 0 running, 0 pending"), "\(mergeLog)")
    #expect(mergeLog.contains("L(N) = E + A/N^alpha fitted to 10 runs"))
    let counts = try sqlite3(
      log, "SELECT count(*), count(DISTINCT key), sum(status = 'finished'), sum(attempts) FROM run", readOnly: true)
    #expect(counts.stdout == "10|10|10|10\n")

    // The same sweep run here, in another folder, logs the same runs with the same values.
    let local = folder.url.appendingPathComponent("local")
    try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
    try Data(curves.utf8).write(to: local.appendingPathComponent("curves.yaml"))
    let here = try WorkbenchProcess.run(["run", "curves.yaml", "--quiet"], in: local)
    #expect(here.status == 0, "\(here.stderr)")
    let slurmMetrics = try metricTable(log)
    #expect(slurmMetrics.count == 10 * 210)
    #expect(slurmMetrics == (try metricTable(local.appendingPathComponent("workbench.sqlite").path)))

    // Nothing is left to submit; the analysis is printed again.
    let again = try WorkbenchProcess.run(["run", "curves.yaml", "--backend", "slurm"], in: folder.url)
    #expect(again.status == 0)
    #expect(again.stderr.contains("curves: all 10 runs are finished; nothing to submit"))
    #expect(again.stdout.contains("L(N) = E + A/N^alpha fitted to 10 runs"))
  }

  /// Instruction tuning on a Super-NaturalInstructions folder as an array: each task reads the
  /// folder (relative to the submission's working directory), the runs share one tokenizer and
  /// base, and the merge job prints the SNI analysis.
  @Test func sniSweepRunsAsAnArray() throws {
    let export = try WorkbenchProcess.run(
      ["tasks", "export", "sni-data", "--train", "8", "--test", "2", "--instances", "6"], in: folder.url)
    #expect(export.status == 0, "\(export.stderr)")
    folder.write(
      "sni.yaml",
      """
      plugin: instruction-tuning
      name: sni-array
      model: {n_layer: 1, d_model: 16, n_head: 2}
      instructions: [2, 4]
      tasks: {source: sni, path: sni-data, context: 96, test_instances: 3}
      tokenizer: {kind: bpe, vocab: 300}
      pretraining: {steps: 4, batch: 4}
      finetuning: {steps: 4, batch: 4, warmup_steps: 1}
      evaluation: {max_tokens: 6}
      """)
    let submit = try WorkbenchProcess.run(
      ["run", "sni.yaml", "--backend", "slurm", "--max-parallel", "2", "--device", "cpu"], in: folder.url)
    #expect(submit.status == 0, "\(submit.stderr)")
    let jobs = try #require(jobIDs(submit.stdout), "\(submit.stdout)")
    #expect(eventually(timeout: 300) { ended(jobs.merge) })
    let scripts = try FileManager.default.contentsOfDirectory(atPath: folder.path("runs/sni-array/slurm"))
    let mergeLog = try String(
      contentsOfFile: folder.path("runs/sni-array/slurm/\(scripts[0])/logs/merge-\(jobs.merge).out"), encoding: .utf8)
    #expect(mergeLog.contains("2 runs on Super-NaturalInstructions (sni-data, split default)"), "\(mergeLog)")
    let counts = try sqlite3(
      log,
      "SELECT count(*), sum(status = 'finished'), (SELECT count(*) FROM metric WHERE name = 'sni.rougeL'), "
        + "(SELECT count(*) FROM artifact WHERE kind = 'sni-predictions') FROM run", readOnly: true)
    #expect(counts.stdout == "2|2|2|2\n", "\(counts.stdout)")
  }

  @Test func cancelledAndFailedTasksShowAsSuchAndAloneRunAgain() throws {
    folder.write(
      "slow.yaml",
      """
      plugin: curve-sweep
      size: [1e7, 2e7, 4e7, 8e7, 1.6e8, 3.2e8, 6.4e8, 1.28e9]
      steps: 50
      eval_every: 10
      step_ms: 40
      """)
    let keys = try plannedKeys("slow.yaml", in: folder.url)
    #expect(keys.count == 8)
    // Task 2 fails: a file stands where its run folder must be created.
    let blocker = folder.url.appendingPathComponent("runs/slow/\(keys[2])")
    try FileManager.default.createDirectory(at: blocker.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data().write(to: blocker)

    let submit = try WorkbenchProcess.run(
      ["run", "slow.yaml", "--backend", "slurm", "--max-parallel", "2"], in: folder.url)
    #expect(submit.status == 0, "\(submit.stderr)")
    let jobs = try #require(jobIDs(submit.stdout))
    // Task 1 is cancelled while it runs.
    #expect(eventually(timeout: 120) { taskState("\(jobs.arrays[0])_1") == "RUNNING" })
    let cancel = try tool("scancel", ["\(jobs.arrays[0])_1"])
    #expect(cancel.status == 0, "\(cancel.stderr)")
    #expect(eventually(timeout: 300) { ended(jobs.merge) })

    let status = try WorkbenchProcess.run(["status", "slow.yaml"], in: folder.url)
    #expect(status.status == 0, "\(status.stderr)")
    #expect(
      status.stdout.contains("6 finished, 0 running, 0 pending, 0 preempted, 1 failed, 1 cancelled"), "\(status.stdout)"
    )
    let lines = status.stdout.split(separator: "\n")
    #expect(
      lines.contains {
        $0.hasPrefix(keys[1].prefix(12)) && $0.contains(" cancelled ") && $0.contains("\(jobs.arrays[0])_1")
      })
    #expect(
      lines.contains {
        $0.hasPrefix(keys[2].prefix(12)) && $0.contains(" failed ") && $0.contains("cannot create the run folder")
      })
    let recorded = try sqlite3(
      log, "SELECT status FROM run WHERE key IN ('\(keys[1])', '\(keys[2])') ORDER BY key = '\(keys[2])'",
      readOnly: true)
    #expect(["preempted\nfailed\n", "interrupted\nfailed\n"].contains(recorded.stdout), "\(recorded.stdout)")

    // Fixed and submitted again: only those two run.
    try FileManager.default.removeItem(at: blocker)
    let again = try WorkbenchProcess.run(["run", "slow.yaml", "--backend", "slurm"], in: folder.url)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.stderr.contains("slow: 8 runs, 6 finished; submitted 2 as 2 array tasks"), "\(again.stderr)")
    let second = try #require(jobIDs(again.stdout))
    #expect(eventually(timeout: 300) { ended(second.merge) })
    let submissions = try FileManager.default.contentsOfDirectory(atPath: folder.path("runs/slow/slurm")).sorted()
    let manifest = try String(
      contentsOfFile: folder.path("runs/slow/slurm/\(submissions.last!)/manifest.json"), encoding: .utf8)
    #expect(manifest.contains(keys[1]) && manifest.contains(keys[2]))
    #expect(keys.filter { manifest.contains($0) }.count == 2)

    let final = try WorkbenchProcess.run(["status", "slow.yaml"], in: folder.url)
    #expect(final.stdout.contains("8 finished, 0 running, 0 pending, 0 preempted, 0 failed, 0 cancelled, 0 stale"))
    let json = try WorkbenchProcess.run(["status", "slow", "--json"], in: folder.url)
    let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    #expect((document?["counts"] as? [String: Int])?["finished"] == 8)
    #expect((document?["runs"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == keys)
    let counts = try sqlite3(
      log, "SELECT count(*), count(DISTINCT key), sum(status = 'finished') FROM run", readOnly: true)
    #expect(counts.stdout == "8|8|8\n")
    let perRun = try sqlite3(log, "SELECT count(*) FROM metric GROUP BY run_id", readOnly: true)
    #expect(perRun.stdout.split(separator: "\n") == Array(repeating: "\(metricsPerRun)", count: 8))
  }

  /// SIGTERM (preemption, `scancel`): the run checkpoints and stops; requeued by hand, it resumes.
  /// SIGUSR1 (Slurm's warning before `--time` runs out): the run checkpoints and the task requeues itself.
  @Test(arguments: ["TERM", "USR1"]) func preemptedTaskResumesFromItsCheckpointWhenRequeued(signal: String) throws {
    let experiment = """
      plugin: gpt-train
      model: {n_layer: 1, d_model: 32, n_head: 2, ctx: 32}
      data:
        synthetic: {alphabet: 8, concentration: 0.5, bytes: 20000, seed: 1}
      training:
        batch: 8
        steps: 5000
        lr: 3e-3
        log_every: 10
      evaluation: {every: 1000, windows: 4}
      """
    folder.write("pre.yaml", experiment)
    let key = try #require(try plannedKeys("pre.yaml", in: folder.url).first)
    let submit = try WorkbenchProcess.run(["run", "pre.yaml", "--backend", "slurm", "--device", "cpu"], in: folder.url)
    #expect(submit.status == 0, "\(submit.stderr)")
    let jobs = try #require(jobIDs(submit.stdout))
    let task = "\(jobs.arrays[0])_0"
    let shard = folder.path("runs/pre/\(key)/shard.sqlite")
    func shardRun() -> RunRecord? { try? RunLog(path: shard, readOnly: true).runs(keys: [key]).first }
    func shardSteps() -> Int {
      Int(
        (try? sqlite3(shard, "SELECT max(step) FROM metric WHERE name = 'train_loss'", readOnly: true))?.stdout
          .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
    }
    #expect(eventually(timeout: 120) { shardSteps() >= 500 })
    let sent = try tool("scancel", ["--signal=\(signal)", "--batch", task])
    #expect(sent.status == 0, "\(sent.stderr)")
    #expect(eventually(timeout: 60) { shardRun()?.status == .preempted })
    let stoppedAt = shardSteps()
    #expect(stoppedAt < 5000, "the run finished before it could be preempted")
    #expect(FileManager.default.fileExists(atPath: folder.path("runs/pre/\(key)/checkpoint.bin")))
    if signal == "TERM" {
      #expect(eventually(timeout: 60) { ended(jobs.arrays[0]) })
      let preempted = try WorkbenchProcess.run(["status", "pre"], in: folder.url)
      #expect(preempted.stdout.contains("0 finished, 0 running, 0 pending, 1 preempted"), "\(preempted.stdout)")
      let requeue = try tool("scontrol", ["requeue", task])
      #expect(requeue.status == 0, "\(requeue.stderr)")
    } else {
      #expect(eventually(timeout: 60) { taskState(task) == "PENDING" })
      let requeued = try WorkbenchProcess.run(["status", "pre"], in: folder.url)
      #expect(requeued.stdout.contains("0 finished, 0 running, 1 pending, 0 preempted"), "\(requeued.stdout)")
      #expect(requeued.stdout.contains("resumes from its checkpoint"))
    }
    // Slurm holds a requeued job back until the killed attempt's credential has expired
    // (`cred_expire`, 120 s by default); forcing it to start sooner fails it ("Job credential
    // revoked"), so the test waits the hold out.
    #expect(eventually(timeout: 420) { shardRun()?.status == .finished })
    let merge = try WorkbenchProcess.run(["merge", "pre"], in: folder.url)
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(merge.stdout.contains("1 finished"))

    let run = try #require(try runs(in: log).first { $0.key == key })
    #expect(run.status == .finished)
    #expect(run.attempts == 2)
    // The loss curve continues where it stopped: every tenth step once, none missing.
    let steps = try sqlite3(
      log, "SELECT count(*), count(DISTINCT step), min(step), max(step) FROM metric WHERE name = 'train_loss'",
      readOnly: true)
    #expect(steps.stdout == "500|500|10|5000\n")
    // …and it is the curve of a run that never stopped.
    let local = folder.url.appendingPathComponent("local")
    try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
    try Data(experiment.utf8).write(to: local.appendingPathComponent("pre.yaml"))
    let here = try WorkbenchProcess.run(["run", "pre.yaml", "--quiet", "--device", "cpu"], in: local)
    #expect(here.status == 0, "\(here.stderr)")
    let curve = "SELECT name, step, value FROM metric WHERE name IN ('train_loss', 'val_loss') ORDER BY 1, 2"
    let resumed = try sqlite3(log, curve, readOnly: true).stdout
    #expect(resumed.split(separator: "\n").count == 505)
    #expect(
      resumed == (try sqlite3(local.appendingPathComponent("workbench.sqlite").path, curve, readOnly: true)).stdout)
  }
}
