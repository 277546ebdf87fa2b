import Foundation
import GRDB
import Testing
import WorkbenchTestSupport

@testable import WorkbenchRunLog

private let me = RunOwner(host: "test-host", pid: 1, startToken: "1")
private let other = RunOwner(host: "test-host", pid: 2, startToken: "2")
private let environment = (workbenchVersion: "test", gitRevision: String?.none)

/// Registers an experiment with runs `keys` in `log`.
private func seed(_ log: RunLog, keys: [String], experiment: String = "exp") throws -> Int64 {
  let id = try log.registerExperiment(name: experiment, plugin: "p", sourcePath: nil)
  try log.registerRuns(
    keys.map {
      RunRecord(
        key: $0, experimentID: id, sweepID: nil, label: $0, plugin: "p", pluginVersion: "1", seed: 0, config: "{}")
    })
  return id
}

extension RunLog {
  /// `claimNextRun` as these tests ask it: a 60 s lease, nothing skipped, every owner alive unless
  /// `isAlive` says otherwise.
  fileprivate func claim(
    _ keys: [String] = ["a"], by owner: RunOwner, policy: RerunPolicy = .failed,
    isAlive: (RunOwner) -> Bool? = { _ in true }, startedBefore: Date = .distantFuture
  ) throws -> RunRecord? {
    try claimNextRun(
      keys: keys, policy: policy, skip: [], owner: owner, lease: 60, isAlive: isAlive, environment: environment,
      startedBefore: startedBefore)
  }
}

@Suite struct RunLogTests {
  let folder = TemporaryDirectory()

  @Test func claimsEachRunOnceAndSkipsRunsOthersHold() throws {
    let log = try RunLog(inMemory: ())
    _ = try seed(log, keys: ["a", "b"])
    let first = try log.claim(["a", "b"], by: me)
    #expect(first?.key == "a")
    #expect(first?.status == .running)
    let second = try log.claim(["a", "b"], by: other)
    #expect(second?.key == "b")
    let none = try log.claim(["a", "b"], by: other, policy: .all)
    #expect(none == nil)
  }

  /// The claim starts a run at rest exactly when `RerunPolicy.starts` says so (the dry run and
  /// Slurm submission ask the same function).
  @Test(arguments: RerunPolicy.allCases)
  func theClaimFollowsTheRerunRule(_ policy: RerunPolicy) throws {
    var started: [RunStatus] = []
    for status in RunStatus.allCases where status != .running {
      let log = try RunLog(inMemory: ())
      _ = try seed(log, keys: ["a"])
      try log.write { db in
        try db.execute(
          sql: "UPDATE run SET status = ?, finished_at = ? WHERE key = 'a'",
          arguments: [status.rawValue, status == .pending ? nil : Date(timeIntervalSince1970: 1)])
      }
      let claimed = try log.claim(by: me, policy: policy)
      #expect((claimed != nil) == policy.starts(status), "\(status) under --rerun \(policy)")
      if claimed != nil { started.append(status) }
    }
    let expected: [RerunPolicy: [RunStatus]] = [
      .none: [.pending], .failed: [.pending, .failed, .interrupted, .preempted],
      .all: [.pending, .finished, .diverged, .failed, .interrupted, .preempted],
    ]
    #expect(started == expected[policy])
  }

  @Test func reapsRunsWhoseOwnerDiedAndClaimsThemAgain() throws {
    let log = try RunLog(inMemory: ())
    _ = try seed(log, keys: ["a"])
    let run = try #require(
      try log.claim(by: me))
    try log.appendMetrics([MetricRecord(runID: run.id!, name: "loss", step: 1, value: 2)])
    let reaped = try log.reapOrphans(lease: 60) { $0 == me ? false : true }
    #expect(reaped.map(\.key) == ["a"])
    #expect(try log.runs(keys: ["a"]).first?.status == .interrupted)
    let again = try log.claim(by: other, isAlive: { $0 != me })
    #expect(again?.attempts == 2)
    #expect(try log.metrics(runID: run.id!).isEmpty)
  }

  @Test func runsEndedAfterTheInvocationStartedAreNotClaimedAgain() throws {
    let log = try RunLog(inMemory: ())
    _ = try seed(log, keys: ["a"])
    let invocation = Date()
    let run = try #require(
      try log.claim(by: other))
    try log.endRun(runID: run.id!, owner: other, status: .failed, device: nil, error: "boom")
    let sibling = try log.claim(by: me, policy: .all, startedBefore: invocation)
    #expect(sibling == nil)
    // A later invocation re-runs it once the process that failed it is gone, not while it lives.
    let whileAlive = try log.claim(by: me, startedBefore: Date().addingTimeInterval(1))
    #expect(whileAlive == nil)
    let later = try log.claim(by: me, isAlive: { $0 != other }, startedBefore: Date().addingTimeInterval(1))
    #expect(later?.attempts == 2)
  }

  @Test func writesForARunAnotherProcessHoldsAreRefused() throws {
    let log = try RunLog(inMemory: ())
    _ = try seed(log, keys: ["a"])
    let run = try #require(
      try log.claim(by: me))
    let error = #expect(throws: RunLogError.self) {
      try log.appendMetrics([MetricRecord(runID: run.id!, name: "loss", step: 1, value: 1)], owner: other)
    }
    #expect(error?.code == .notOwner)
    try log.appendMetrics([MetricRecord(runID: run.id!, name: "loss", step: 1, value: 1)], owner: me)
    #expect(try log.metrics(runID: run.id!).count == 1)
  }

  @Test func refittingReplacesTheFitOfTheSameForm() throws {
    let log = try RunLog(inMemory: ())
    let experiment = try seed(log, keys: ["a"])
    let run = try #require(try log.runs(keys: ["a"]).first)
    for value in [1.0, 2.0] {
      try log.insertFit(
        FitRecord(
          experimentID: experiment, form: "L(N)", parameters: "{\"A\":\(value)}", intervals: nil, options: "{}",
          pointCount: 1, objective: 0, r2: nil), runIDs: [run.id!])
    }
    try log.insertFit(
      FitRecord(
        experimentID: experiment, form: "L(D)", parameters: "{}", intervals: nil, options: "{}", pointCount: 1,
        objective: 0, r2: nil), runIDs: [run.id!])
    let fits = try log.fits(experimentID: experiment)
    #expect(fits.map(\.form) == ["L(N)", "L(D)"])
    #expect(fits.first?.parameters == "{\"A\":2.0}")
    #expect(try log.query("SELECT count(*) FROM fit_run").rows == [[.integer(2)]])
  }

  @Test func staleHeartbeatOnAnotherHostCountsAsDead() throws {
    let log = try RunLog(inMemory: ())
    _ = try seed(log, keys: ["a"])
    _ = try log.claim(by: me, isAlive: { _ in nil })
    #expect(try log.reapOrphans(lease: 60) { _ in nil }.isEmpty)
    #expect(try log.reapOrphans(lease: -1) { _ in nil }.count == 1)
  }

  @Test func metricIsUniquePerRunNameAndStep() throws {
    let log = try RunLog(inMemory: ())
    _ = try seed(log, keys: ["a"])
    let run = try #require(try log.runs(keys: ["a"]).first)
    try log.appendMetrics([MetricRecord(runID: run.id!, name: "loss", step: 1, value: 2, tokens: 10)])
    try log.appendMetrics([
      MetricRecord(runID: run.id!, name: "loss", step: 1, value: 3, tokens: 10),
      MetricRecord(runID: run.id!, name: "loss", step: 2, value: 1),
    ])
    #expect(try log.metrics(runID: run.id!).map(\.value) == [3, 1])
  }

  @Test func endRunIgnoresARunAnotherProcessTookOver() throws {
    let log = try RunLog(inMemory: ())
    _ = try seed(log, keys: ["a"])
    let run = try #require(
      try log.claim(by: me))
    try log.endRun(runID: run.id!, owner: other, status: .finished, device: "cpu")
    #expect(try log.runs(keys: ["a"]).first?.status == .running)
    try log.endRun(
      runID: run.id!, owner: me, status: .finished, summary: RunSummary(N: 5, finalValLoss: 1.5), device: "cpu")
    let ended = try #require(try log.runs(keys: ["a"]).first)
    #expect(ended.status == .finished)
    #expect(ended.N == 5)
    #expect(ended.finalValLoss == 1.5)
    #expect(ended.device == "cpu")
  }

  @Test func refusesAFileThatIsNotSQLiteAndLeavesIt() throws {
    let path = folder.write("notes.sqlite", "these are my notes\n")
    let error = #expect(throws: RunLogError.self) { try RunLog(path: path) }
    #expect(error?.code == .notSQLite)
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "these are my notes\n")
  }

  @Test func refusesAnotherProgramsDatabase() throws {
    let path = folder.path("other.sqlite")
    try DatabaseQueue(path: path).write { try $0.execute(sql: "CREATE TABLE mine (x); INSERT INTO mine VALUES (1)") }
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    let error = #expect(throws: RunLogError.self) { try RunLog(path: path) }
    #expect(error?.code == .notAWorkbenchLog)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
  }

  @Test func refusesALogFromANewerSchema() throws {
    let path = folder.path("new.sqlite")
    _ = try seed(try RunLog(path: path), keys: ["a"])
    try DatabaseQueue(path: path).write {
      try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
    }
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    let error = #expect(throws: RunLogError.self) { try RunLog(path: path) }
    #expect(error?.code == .newerSchema)
    #expect(error?.message.contains("newer workbench") == true)
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
  }

  @Test func readOnlyLogRejectsWritesAndLeavesTheFileUnchanged() throws {
    let path = folder.path("log.sqlite")
    _ = try seed(try RunLog(path: path), keys: ["a", "b"])
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    let log = try RunLog(path: path, readOnly: true)
    for sql in ["DELETE FROM run", "DROP TABLE metric", "UPDATE run SET status = 'failed'", "PRAGMA user_version = 7"] {
      let error = #expect(throws: RunLogError.self, "\(sql)") { try log.query(sql) }
      #expect(error?.code == .readOnly)
    }
    #expect(try log.query("SELECT count(*) FROM run").rows == [[.integer(2)]])
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
  }

  @Test func mergeImportsEachRunOnceWithItsMetrics() throws {
    func shard(_ name: String, _ keys: [String], status: RunStatus) throws -> String {
      let path = folder.path(name)
      let log = try RunLog(path: path)
      _ = try seed(log, keys: keys)
      for key in keys {
        let run = try #require(
          try log.claim([key], by: me))
        try log.appendMetrics((1...3).map { MetricRecord(runID: run.id!, name: "loss", step: $0, value: Double($0)) })
        try log.endRun(runID: run.id!, owner: me, status: status, device: "cpu")
      }
      return path
    }
    let one = try shard("one.sqlite", ["a", "b", "c"], status: .finished)
    let two = try shard("two.sqlite", ["b", "c", "d"], status: .finished)
    let failed = try shard("three.sqlite", ["e"], status: .failed)
    let main = try RunLog(path: folder.path("main.sqlite"))
    #expect(try main.merge(from: one) == MergeReport(imported: 3, updated: 0, skipped: 0))
    #expect(try main.merge(from: two) == MergeReport(imported: 1, updated: 0, skipped: 2))
    #expect(try main.merge(from: one) == MergeReport(imported: 0, updated: 0, skipped: 3))
    #expect(try main.merge(from: failed) == MergeReport(imported: 1, updated: 0, skipped: 0))
    let runs = try main.runs()
    #expect(runs.map(\.key) == ["a", "b", "c", "d", "e"])
    #expect(try main.query("SELECT count(*) FROM metric").rows == [[.integer(15)]])
    #expect(try main.experiments().count == 1)
    // A shard that finished what this log has failed replaces it.
    let fixed = try shard("four.sqlite", ["e"], status: .finished)
    #expect(try main.merge(from: fixed) == MergeReport(imported: 0, updated: 1, skipped: 0))
    #expect(try main.runs(keys: ["e"]).first?.status == .finished)
    // A run this log is running under a live owner is left to that owner.
    let mainExperiment = try #require(try main.experiment(named: "exp")?.id)
    try main.registerRuns([
      RunRecord(
        key: "f", experimentID: mainExperiment, sweepID: nil, label: "f", plugin: "p", pluginVersion: "1", seed: 0,
        config: "{}")
    ])
    _ = try main.claim(["f"], by: other)
    let finishedF = try shard("five.sqlite", ["f"], status: .finished)
    #expect(try main.merge(from: finishedF, isAlive: { _ in true }) == MergeReport(imported: 0, updated: 0, skipped: 1))
    #expect(try main.runs(keys: ["f"]).first?.status == .running)
  }

  /// A Slurm shard that ended without a result shows in the home log, latest attempt first; a
  /// finished run is never replaced, and a run no shard speaks for is marked by `markEnded`.
  @Test func mergeRecordsTheLatestUnfinishedAttemptAndNeverReplacesAResult() throws {
    func shard(_ name: String, _ key: String, status: RunStatus, metrics: Int) throws -> String {
      let path = folder.path(name)
      let log = try RunLog(path: path)
      _ = try seed(log, keys: [key])
      let run = try #require(
        try log.claim([key], by: me))
      try log.appendMetrics((1...metrics).map { MetricRecord(runID: run.id!, name: "loss", step: Int64($0), value: 1) })
      try log.endRun(runID: run.id!, owner: me, status: status, device: "cpu", error: "\(status)")
      return path
    }
    let main = try RunLog(path: folder.path("main.sqlite"))
    _ = try seed(main, keys: ["a"])
    let preempted = try shard("preempted.sqlite", "a", status: .preempted, metrics: 2)
    #expect(try main.merge(from: preempted) == MergeReport(imported: 0, updated: 1, skipped: 0))
    #expect(try main.runs(keys: ["a"]).first?.status == .preempted)
    #expect(try main.query("SELECT count(*) FROM metric").rows == [[.integer(2)]])
    // The same shard again changes nothing; an older failure does not replace the newer record.
    #expect(try main.merge(from: preempted) == MergeReport(imported: 0, updated: 0, skipped: 1))
    try main.write { db in try db.execute(sql: "UPDATE run SET finished_at = '2999-01-01 00:00:00.000'") }
    #expect(try main.merge(from: preempted) == MergeReport(imported: 0, updated: 0, skipped: 1))
    try main.write { db in try db.execute(sql: "UPDATE run SET finished_at = '2000-01-01 00:00:00.000'") }
    let finished = try shard("finished.sqlite", "a", status: .finished, metrics: 3)
    #expect(try main.merge(from: finished) == MergeReport(imported: 0, updated: 1, skipped: 0))
    #expect(try main.query("SELECT count(*) FROM metric").rows == [[.integer(3)]])
    let failedLater = try shard("failed.sqlite", "a", status: .failed, metrics: 1)
    #expect(try main.merge(from: failedLater) == MergeReport(imported: 0, updated: 0, skipped: 1))
    #expect(try main.runs(keys: ["a"]).first?.status == .finished)
    // markEnded: only pending or retryable runs, and only when something changes.
    #expect(try main.markEnded(key: "a", status: .interrupted, error: "cancelled") == false)
    _ = try seed(main, keys: ["b"])
    #expect(try main.markEnded(key: "b", status: .interrupted, error: "Slurm task 7_1: cancelled") == true)
    #expect(try main.markEnded(key: "b", status: .interrupted, error: "Slurm task 7_1: cancelled") == false)
    let b = try #require(try main.runs(keys: ["b"]).first)
    #expect(b.status == .interrupted && b.error == "Slurm task 7_1: cancelled")
  }
}

extension MergeReport {
  init(imported: Int, updated: Int, skipped: Int) {
    self.init()
    self.imported = imported
    self.updated = updated
    self.skipped = skipped
  }
}

@Suite struct RunLogMigrationTests {
  let folder = TemporaryDirectory()

  @Test func aVersionOneLogUpgradesKeepingItsRunsAndMetrics() throws {
    let path = folder.path("v1.sqlite")
    let queue = try DatabaseQueue(path: path)
    try RunLog.migrator.migrate(queue, upTo: "v1-initial")
    try queue.write { db in
      try db.execute(sql: "INSERT INTO experiment (name, plugin, created_at) VALUES ('e', 'p', '2026-01-01 00:00:00')")
      try db.execute(
        sql: """
          INSERT INTO run (key, experiment_id, label, plugin, plugin_version, seed, config, status, created_at, N)
          VALUES ('k', 1, '', 'p', '1', 0, '{}', 'finished', '2026-01-01 00:00:00', 42)
          """)
      try db.execute(sql: "INSERT INTO metric (run_id, name, step, value) VALUES (1, 'loss', 1, 2.5)")
    }
    let log = try RunLog(path: path)
    let run = try #require(try log.runs(keys: ["k"]).first)
    #expect(run.N == 42)
    #expect(try log.metrics(runID: run.id!).map(\.value) == [2.5])
    try log.endRun(runID: run.id!, owner: RunOwner(host: "h", pid: 1, startToken: "1"), status: .diverged, device: nil)
    try log.write { db in try db.execute(sql: "UPDATE run SET status = 'diverged'") }
    #expect(try log.runs(keys: ["k"]).first?.status == .diverged)
  }
}
