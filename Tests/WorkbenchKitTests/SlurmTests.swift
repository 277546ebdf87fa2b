import Foundation
import Testing
import WorkbenchRunLog

@testable import WorkbenchKit

/// Slurm's answers as a real 22.05 controller printed them (one-node test cluster), parsed; the
/// state of a run from its log, shard and task; the batch scripts. No cluster needed.
@Suite struct SlurmTests {
  @Test func arrayIndexSpecificationsExpand() {
    #expect(SlurmCluster.expandIndices("3") == [3])
    #expect(SlurmCluster.expandIndices("0-5%2") == [0, 1, 2, 3, 4, 5])
    #expect(SlurmCluster.expandIndices("1,3,5-7") == [1, 3, 5, 6, 7])
    #expect(SlurmCluster.expandIndices("1-7:2") == [1, 3, 5, 7])
    #expect(SlurmCluster.expandIndices("x").isEmpty)
  }

  @Test func scontrolRecordsGiveEachTaskItsState() {
    let text = """
      JobId=1 ArrayJobId=1 ArrayTaskId=5 ArrayTaskThrottle=2 JobName=a.sh JobState=PENDING Reason=JobArrayTaskLimit Dependency=(null) Requeue=1 Restarts=0 ExitCode=0:0
      JobId=5 ArrayJobId=1 ArrayTaskId=3 JobName=a.sh JobState=COMPLETED Reason=None Restarts=0 ExitCode=0:0
      JobId=3 ArrayJobId=1 ArrayTaskId=1 JobName=a.sh JobState=FAILED Reason=NonZeroExitCode Restarts=0 ExitCode=3:0
      JobId=9 ArrayJobId=8 ArrayTaskId=0-4%2 JobName=b.sh JobState=PENDING Reason=None ExitCode=0:0
      """
    let records = Dictionary(SlurmCluster.parseJobRecords(text), uniquingKeysWith: { _, last in last })
    #expect(
      records[SlurmTask(job: "1", index: 5)]
        == SlurmTaskState(state: "PENDING", exitCode: "0:0", reason: "JobArrayTaskLimit"))
    #expect(records[SlurmTask(job: "1", index: 3)] == SlurmTaskState(state: "COMPLETED", exitCode: "0:0"))
    #expect(records[SlurmTask(job: "1", index: 1)]?.exitCode == "3:0")
    #expect((0...4).allSatisfy { records[SlurmTask(job: "8", index: $0)]?.state == "PENDING" })
    #expect(records.count == 8)
    // The job-completion log: one line per ended task; a requeued task's last line wins.
    let jobcomp = """
      JobId=3 UserId=root(0) GroupId=root(0) Name=a.sh JobState=FAILED Partition=debug ArrayJobId=1 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=3:0
      JobId=3 UserId=root(0) GroupId=root(0) Name=a.sh JobState=COMPLETED Partition=debug ArrayJobId=1 ArrayTaskId=1 DerivedExitCode=0:0 ExitCode=0:0
      """
    let ended = Dictionary(SlurmCluster.parseJobRecords(jobcomp), uniquingKeysWith: { _, last in last })
    #expect(ended[SlurmTask(job: "1", index: 1)]?.state == "COMPLETED")
  }

  @Test func accountingLinesGiveEachTaskItsState() {
    let text = "12_3|COMPLETED|0:0\n12_[4-6%2]|PENDING|0:0\n12_1|CANCELLED by 0|0:15\n13|COMPLETED|0:0\n"
    let records = Dictionary(SlurmCluster.parseAccounting(text), uniquingKeysWith: { _, last in last })
    #expect(records[SlurmTask(job: "12", index: 1)]?.state == "CANCELLED")
    #expect(records[SlurmTask(job: "12", index: 1)]?.exitCode == "0:15")
    #expect([4, 5, 6].allSatisfy { records[SlurmTask(job: "12", index: $0)]?.state == "PENDING" })
    #expect(records.count == 5)
  }

  @Test func timeLimitsInEverySlurmFormat() {
    #expect(SlurmCluster.seconds(ofTimeLimit: "30") == 1800)
    #expect(SlurmCluster.seconds(ofTimeLimit: "5:30") == 330)
    #expect(SlurmCluster.seconds(ofTimeLimit: "2:00:00") == 7200)
    #expect(SlurmCluster.seconds(ofTimeLimit: "1-0") == 86_400)
    #expect(SlurmCluster.seconds(ofTimeLimit: "1-2:30") == 86_400 + 2 * 3600 + 30 * 60)
    #expect(SlurmCluster.seconds(ofTimeLimit: "1-2:30:15") == 86_400 + 2 * 3600 + 30 * 60 + 15)
    for bad in ["", "1:2:3:4", "-5", "a", "1-", "1-2-3"] {
      #expect(SlurmCluster.seconds(ofTimeLimit: bad) == nil, "\(bad)")
    }
    var options = SlurmSubmitOptions()
    #expect(options.signalLead == 120)
    options.time = "4"
    #expect(options.signalLead == 60)
  }

  @Test func manifestIndicesMapToTheirArrayTasks() {
    let jobs = SlurmJobs(
      arrays: [.init(id: "20", offset: 0, count: 1000), .init(id: "21", offset: 1000, count: 5)], merge: "22",
      submittedAt: Date())
    #expect(jobs.task(forIndex: 0) == SlurmTask(job: "20", index: 0))
    #expect(jobs.task(forIndex: 999) == SlurmTask(job: "20", index: 999))
    #expect(jobs.task(forIndex: 1004) == SlurmTask(job: "21", index: 4))
    #expect(jobs.task(forIndex: 1005) == nil)
  }

  private func record(_ status: RunStatus, heartbeat: Date? = nil, error: String? = nil) -> RunRecord {
    var run = RunRecord(
      key: "k", experimentID: 1, sweepID: nil, label: "", plugin: "p", pluginVersion: "1", seed: 0, config: "{}")
    run.status = status
    run.heartbeatAt = heartbeat
    run.error = error
    return run
  }

  @Test func aRunsStateComesFromItsLogItsShardAndItsTask() {
    let task = SlurmTask(job: "7", index: 1)
    func state(
      local: RunRecord? = nil, shard: RunRecord? = nil, task: SlurmTask? = SlurmTask(job: "7", index: 1),
      slurm: SlurmTaskState? = nil, arrayKnown: Bool = true
    ) -> SlurmRunState {
      SlurmSweep.state(local: local, shard: shard, task: task, slurm: slurm, arrayKnown: arrayKnown, lease: 90).0
    }
    #expect(state(local: record(.finished)) == .finished)
    #expect(state(local: record(.failed), shard: record(.diverged)) == .finished)
    #expect(state(local: record(.pending), task: nil) == .unsubmitted)
    #expect(state(slurm: SlurmTaskState(state: "PENDING")) == .pending)
    #expect(state(shard: record(.preempted), slurm: SlurmTaskState(state: "PENDING")) == .pending)
    #expect(state(slurm: SlurmTaskState(state: "RUNNING")) == .running)
    let packed = SlurmSweep.state(
      local: nil, shard: nil, task: task, slurm: SlurmTaskState(state: "RUNNING"), arrayKnown: true, packed: true,
      lease: 90)
    #expect(packed.0 == .pending)
    #expect(state(shard: record(.preempted), slurm: SlurmTaskState(state: "CANCELLED")) == .cancelled)
    #expect(state(slurm: SlurmTaskState(state: "TIMEOUT")) == .preempted)
    #expect(state(shard: record(.preempted), slurm: SlurmTaskState(state: "FAILED", exitCode: "143:0")) == .preempted)
    #expect(state(shard: record(.failed), slurm: SlurmTaskState(state: "FAILED", exitCode: "1:0")) == .failed)
    #expect(state(slurm: SlurmTaskState(state: "OUT_OF_MEMORY")) == .failed)
    #expect(state(slurm: SlurmTaskState(state: "COMPLETED")) == .failed)
    // Slurm forgot the task: the shard's heartbeat decides.
    #expect(state(shard: record(.running, heartbeat: Date())) == .running)
    #expect(state(shard: record(.running, heartbeat: Date().addingTimeInterval(-600))) == .stale)
    #expect(state(shard: record(.preempted)) == .preempted)
    // No shard: a task Slurm dropped from a job it still knows was cancelled while pending.
    #expect(state(arrayKnown: true) == .cancelled)
    #expect(state(arrayKnown: false) == .stale)
    let detail = SlurmSweep.state(
      local: nil, shard: record(.failed, error: "boom"), task: task,
      slurm: SlurmTaskState(state: "FAILED", exitCode: "1:0"),
      arrayKnown: true, lease: 90
    ).1
    #expect(detail == "failed: boom")
    // What is submitted again: the rerun rule (`RerunPolicy.starts`) on the status each state stands for.
    func resubmitted(_ policy: RerunPolicy, home: RunStatus?) -> [SlurmRunState] {
      SlurmRunState.allCases.filter { $0.rerunStatus(local: home).map(policy.starts) ?? false }
    }
    #expect(resubmitted(.failed, home: nil) == [.preempted, .failed, .cancelled, .stale, .unsubmitted])
    #expect(resubmitted(.failed, home: .finished) == [.preempted, .failed, .cancelled, .stale])
    #expect(resubmitted(.failed, home: .running) == [.preempted, .failed, .cancelled, .stale, .unsubmitted])
    #expect(resubmitted(.none, home: nil) == [.unsubmitted])
    #expect(resubmitted(.none, home: .pending) == [.unsubmitted])
    #expect(resubmitted(.none, home: .interrupted) == [])
    #expect(resubmitted(.all, home: .finished) == SlurmRunState.allCases.filter { $0 != .running && $0 != .pending })
  }

  @Test func batchScriptsCarryTheOptionsAndRunTheWorker() {
    var options = SlurmSubmitOptions()
    options.partition = "gpu"
    options.maxParallel = 4
    options.time = "1:00:00"
    options.gpus = "1"
    options.sbatchArguments = ["--account=lab", "--cpus-per-task=8"]
    let script = SlurmSweep.arrayScript(
      experiment: "kaplan", manifest: URL(fileURLWithPath: "/data/runs/kaplan/slurm/s1/manifest.json"), offset: 1000,
      count: 24, part: (2, 2), options: options, logs: URL(fileURLWithPath: "/data/runs/kaplan/slurm/s1/logs"),
      binary: "/opt/my tools/workbench", workingDirectory: "/data")
    let lines = script.split(separator: "\n").map(String.init)
    #expect(lines.first == "#!/bin/bash")
    for expected in [
      "#SBATCH --array=0-23%4", "#SBATCH --output=/data/runs/kaplan/slurm/s1/logs/%A_%a.out", "#SBATCH --requeue",
      "#SBATCH --signal=B:USR1@120", "#SBATCH --chdir=/data", "#SBATCH --partition=gpu", "#SBATCH --time=1:00:00",
      "#SBATCH --gpus=1", "#SBATCH --account=lab", "#SBATCH --cpus-per-task=8",
      "exec '/opt/my tools/workbench' worker --manifest /data/runs/kaplan/slurm/s1/manifest.json --index $((1000 + SLURM_ARRAY_TASK_ID))",
    ] {
      #expect(lines.contains(expected), "\(expected)")
    }
    let merge = SlurmSweep.mergeScript(
      experiment: "kaplan", log: "/data/workbench.sqlite", options: options,
      logs: URL(fileURLWithPath: "/data/runs/kaplan/slurm/s1/logs"), binary: "/usr/bin/workbench",
      workingDirectory: "/data")
    #expect(merge.contains("#SBATCH --output=/data/runs/kaplan/slurm/s1/logs/merge-%j.out\n"))
    #expect(merge.hasSuffix("exec /usr/bin/workbench merge kaplan --log /data/workbench.sqlite\n"))
    #expect(!merge.contains("--gpus"))
  }
}
