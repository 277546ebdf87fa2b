import Foundation
import Synchronization
import Testing
import WorkbenchKit
import WorkbenchRunLog
import WorkbenchTestSupport

/// A plugin for runner tests: logs `steps` values and fails when `fail` is set.
struct CountingPlugin: ExperimentPlugin {
  struct Config: ConfigSection {
    var steps = 0
    var fail: Bool?
    var width: Double?

    static var fields: [ConfigField<Self>] {
      [
        .required("steps", \.steps, sweepable: true, "steps"), .optional("fail", \.fail, "fail the run"),
        .optional("width", \.width, "unused"),
      ]
    }
  }

  static let id = "counting"
  static let version = "3"
  static let summary = "counts"
  static let executions = Mutex(0)

  func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    guard config.steps > 0 else { throw ConfigIssue(["steps"], "must be at least 1") }
    return [RunSpec(config: config, seed: seed)]
  }

  func execute(_ run: RunSpec<Config>, context: RunContext) throws -> RunSummary {
    Self.executions.withLock { $0 += 1 }
    for step in 1...run.config.steps {
      try context.log(MetricName("loss"), step: step, value: 1 / Double(step), tokens: step * 10)
    }
    if run.config.fail == true { throw CocoaError(.featureUnsupported) }
    try context.writeArtifact(kind: "note", name: "note.txt", data: Data("seed \(run.seed)".utf8))
    return RunSummary(N: 10, D: Int64(run.config.steps * 10), finalTrainLoss: 1 / Double(run.config.steps))
  }
}

@Suite(.serialized) struct RunnerTests {
  let folder = TemporaryDirectory()
  let plugins = [AnyExperimentPlugin(CountingPlugin.self)]

  func resolve(_ yaml: String, _ overrides: [String] = []) throws -> ResolvedExperiment {
    try ResolvedExperiment.load(path: folder.write("exp.yaml", yaml), overrides: overrides, plugins: plugins)
  }

  func runner(_ policy: RerunPolicy = .failed) throws -> Runner {
    Runner(log: try RunLog(path: folder.path("log.sqlite")), policy: policy, display: ProgressDisplay(quiet: true))
  }

  @Test func runKeyIgnoresSpellingAndFollowsSeedAndConfig() throws {
    let a = try resolve("plugin: counting\nsteps: 1e2\n").runs[0]
    let b = try resolve("plugin: counting\nsteps: 100\nname: other\n").runs[0]
    let c = try resolve("plugin: counting\nsteps: 100\nseed: 1\n").runs[0]
    let d = try resolve("plugin: counting\nsteps: 101\n").runs[0]
    #expect(a.key == b.key)
    #expect(a.key != c.key)
    #expect(a.key != d.key)
    #expect(a.key == RunKey.make(plugin: "counting", version: "3", seed: 0, canonicalConfig: #"{"steps":100}"#))
  }

  @Test func duplicatePointsAreRunOnce() throws {
    let experiment = try resolve("plugin: counting\nsteps: [5, 5, 6]\n")
    #expect(experiment.runs.count == 2)
  }

  @Test func pluginIssueIsReportedAtTheValue() throws {
    let error = #expect(throws: ConfigError.self) { try resolve("plugin: counting\nsteps: 0\n") }
    #expect(error?.description.hasSuffix("exp.yaml:2:8: 'steps': must be at least 1") == true)
  }

  @Test func unknownTopLevelKeySuggestsHostOrPluginKeys() throws {
    let error = #expect(throws: ConfigError.self) { try resolve("plugin: counting\nsteps: 3\nretires: 2\n") }
    #expect(error?.message == "unknown key 'retires'; did you mean 'retries'?")
  }

  @Test func unknownPluginListsTheKnownOnes() throws {
    let error = #expect(throws: ConfigError.self) { try resolve("plugin: countin\nsteps: 3\n") }
    #expect(error?.message == "unknown plugin countin (did you mean 'counting'?); known plugins: counting")
  }

  @Test func runsEverythingThenSkipsFinishedRuns() throws {
    let experiment = try resolve("plugin: counting\nsteps: [3, 4, 5]\n")
    let first = try runner().run(experiment) { _ in }
    #expect(first.finished == 3)
    #expect(first.analyzed)
    let second = try runner().run(experiment) { _ in }
    #expect(second.finished == 0)
    #expect(second.alreadyFinished == 3)
    let log = try RunLog(path: folder.path("log.sqlite"), readOnly: true)
    let runs = try log.runs()
    #expect(runs.map(\.status) == [.finished, .finished, .finished])
    #expect(runs.map(\.D) == [30, 40, 50])
    #expect(try log.metrics(runID: runs[2].id!).map(\.step) == [1, 2, 3, 4, 5])
    let artifact = try #require(try log.artifacts(runID: runs[0].id!).first)
    #expect(artifact.sha256 == SHA256.hex("seed 0"))
    #expect(FileManager.default.fileExists(atPath: artifact.path))
    #expect(artifact.path.hasSuffix("runs/exp/\(runs[0].key)/note.txt"))
  }

  @Test func failedRunsAreRetriedAndRerunByPolicy() throws {
    let experiment = try resolve("plugin: counting\nsteps: 2\nfail: true\nretries: 2\n")
    let before = CountingPlugin.executions.withLock { $0 }
    let outcome = try runner().run(experiment) { _ in }
    #expect(outcome.failed == 1)
    #expect(CountingPlugin.executions.withLock { $0 } - before == 3)
    let log = try RunLog(path: folder.path("log.sqlite"), readOnly: true)
    let run = try #require(try log.runs().first)
    #expect(run.status == .failed)
    #expect(run.attempts == 3)
    #expect(run.error?.isEmpty == false)
    #expect(try runner(.none).run(experiment) { _ in }.failed == 0)
    #expect(try runner(.failed).run(experiment) { _ in }.failed == 1)
  }

  @Test func rerunAllRunsFinishedRunsAgain() throws {
    let experiment = try resolve("plugin: counting\nsteps: 2\n")
    _ = try runner().run(experiment) { _ in }
    let again = try runner(.all).run(experiment) { _ in }
    #expect(again.finished == 1)
    let run = try #require(try RunLog(path: folder.path("log.sqlite"), readOnly: true).runs().first)
    #expect(run.attempts == 2)
  }
}
