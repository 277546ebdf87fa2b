import Foundation
import WorkbenchRunLog
import WorkbenchTensor

/// Measures what the run log costs a training loop: a buffered metric call, a batch flush, a
/// heartbeat, and the per-run bookkeeping (claim and end), on a fresh log file in `folder`.
public enum LoggingBenchmark {
  /// One measured quantity.
  public struct Row: Sendable {
    public var name: String
    public var count: Int
    public var seconds: Double
    /// Microseconds per operation.
    public var microseconds: Double { seconds / Double(count) * 1e6 }
  }

  public static func run(points: Int, runs: Int, folder: URL) throws -> [Row] {
    let path = folder.appendingPathComponent("bench-\(getpid()).sqlite").path
    defer {
      for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
    let log = try RunLog(path: path)
    let owner = ProcessIdentity.current
    let experimentID = try log.registerExperiment(name: "bench", plugin: "bench", sourcePath: nil)
    let keys = (0..<runs).map { "bench-\($0)" }
    try log.registerRuns(
      keys.map {
        RunRecord(
          key: $0, experimentID: experimentID, sweepID: nil, label: $0, plugin: "bench", pluginVersion: "1", seed: 0,
          config: "{}")
      })

    var rows: [Row] = []
    var clock = Date()
    var claimed: [RunRecord] = []
    for _ in 0..<runs {
      if let run = try log.claimNextRun(
        keys: keys, policy: .failed, skip: Set(claimed.map(\.key)), owner: owner, lease: 90,
        isAlive: ProcessIdentity.isAlive, environment: (Workbench.version, nil))
      {
        claimed.append(run)
      }
    }
    rows.append(Row(name: "claim a run (one transaction)", count: runs, seconds: Date().timeIntervalSince(clock)))

    let run = claimed[0]
    let context = RunContext(
      record: run, owner: owner, directory: folder, log: log, display: ProgressDisplay(quiet: true),
      trap: SignalTrap.shared, backend: CPUBackend.shared, device: "cpu")
    clock = Date()
    for step in 0..<points {
      try context.log(
        .trainLoss, step: step, value: 1 / Double(step + 1), tokens: step * 1024, flops: Double(step) * 1e9)
    }
    try context.flush()
    rows.append(
      Row(name: "log one metric (buffered, flushes included)", count: points, seconds: Date().timeIntervalSince(clock)))

    let batch = (0..<RunContext.batchSize).map {
      MetricRecord(
        runID: run.id!, name: MetricName.valLoss.name, step: Int64($0), value: 1, tokens: 1, flops: 1, elapsedSeconds: 1
      )
    }
    let flushes = max(1, points / RunContext.batchSize)
    clock = Date()
    for _ in 0..<flushes { try log.appendMetrics(batch) }
    rows.append(
      Row(
        name: "flush \(RunContext.batchSize) metrics (one transaction)", count: flushes,
        seconds: Date().timeIntervalSince(clock)))

    clock = Date()
    for _ in 0..<runs { try log.heartbeat(runID: run.id!, owner: owner) }
    rows.append(Row(name: "heartbeat", count: runs, seconds: Date().timeIntervalSince(clock)))

    clock = Date()
    for record in claimed {
      try log.endRun(runID: record.id!, owner: owner, status: .finished, summary: RunSummary(N: 1), device: "cpu")
    }
    rows.append(
      Row(name: "end a run (one transaction)", count: claimed.count, seconds: Date().timeIntervalSince(clock)))
    return rows
  }
}

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
