import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchTestSupport

@Suite(.serialized) struct RunCommandTests {
  let folder = TemporaryDirectory()
  var log: String { folder.path("workbench.sqlite") }

  @Test func secondRunStartsNothingAndSaysHowManyAreFinished() throws {
    folder.write("exp.yaml", slowSweep(stepMilliseconds: 0))
    let first = try WorkbenchProcess.run(["run", "exp.yaml"], in: folder.url)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("L(N) = E + A/N^alpha fitted to 6 runs"))
    let second = try WorkbenchProcess.run(["run", "exp.yaml"], in: folder.url)
    #expect(second.status == 0)
    #expect(second.stderr.contains("All 6 runs of 'exp' are already finished; nothing to run."))
    #expect(!second.stderr.contains("started"))
    #expect(try runs(in: log).map(\.attempts) == Array(repeating: 1, count: 6))
    let fits = try sqlite3(log, "SELECT count(*), max(point_count) FROM fit", readOnly: true)
    #expect(fits.stdout == "1|6\n")
  }

  @Test func sigkillMidSweepLeavesAnOrphanTheNextRunRepairs() throws {
    folder.write("exp.yaml", slowSweep())
    let process = try WorkbenchProcess.start(["run", "exp.yaml"], in: folder.url)
    let midway = eventually {
      let all = (try? runs(in: log)) ?? []
      return all.contains { $0.status == .finished } && all.contains { $0.status == .running }
    }
    #expect(midway)
    process.send(SIGKILL)
    _ = process.wait()
    let orphans = try runs(in: log).filter { $0.status == .running }
    #expect(orphans.count == 1)

    let next = try WorkbenchProcess.run(["run", "exp.yaml"], in: folder.url)
    #expect(next.status == 0, "\(next.stderr)")
    #expect(next.stderr.contains("was left running by a process that ended"))
    let after = try runs(in: log)
    #expect(after.count == 6)
    #expect(after.allSatisfy { $0.status == .finished })
    #expect(Set(after.map(\.key)).count == 6)
    #expect(after.first { $0.key == orphans[0].key }?.attempts == 2)
    let counts = try sqlite3(log, "SELECT count(*) FROM metric GROUP BY run_id", readOnly: true)
    #expect(counts.stdout.split(separator: "\n") == Array(repeating: "\(metricsPerRun)", count: 6))
    let duplicates = try sqlite3(
      log, "SELECT count(*) FROM (SELECT 1 FROM metric GROUP BY run_id, name, step HAVING count(*) > 1)", readOnly: true
    )
    #expect(duplicates.stdout == "0\n")
  }

  @Test(arguments: [(SIGINT, Int32(130), "SIGINT"), (SIGTERM, Int32(143), "SIGTERM")])
  func signalMarksTheRunInterruptedAndExitsWithTheShellCode(signal: Int32, code: Int32, name: String) throws {
    folder.write("exp.yaml", slowSweep())
    let process = try WorkbenchProcess.start(["run", "exp.yaml"], in: folder.url)
    let running = eventually { ((try? runs(in: log)) ?? []).contains { $0.status == .running } }
    #expect(running)
    process.send(signal)
    let result = process.wait()
    #expect(result.status == code, "\(result.stderr)")
    #expect(result.stderr.contains("interrupted by \(name)"))
    let after = try runs(in: log)
    #expect(!after.contains { $0.status == .running })
    let interrupted = after.filter { $0.status == .interrupted }
    #expect(interrupted.count == 1)
    #expect(interrupted.first?.error == "interrupted by \(name)")

    let next = try WorkbenchProcess.run(["run", "exp.yaml"], in: folder.url)
    #expect(next.status == 0)
    #expect(try runs(in: log).allSatisfy { $0.status == .finished })
  }

  @Test func fourProcessesShareOneLogWithoutLockErrorsOrDoubleRuns() throws {
    folder.write(
      "exp.yaml", slowSweep(sizes: ["1e7", "2e7", "3e7", "4e7", "5e7", "6e7", "7e7", "8e7"], stepMilliseconds: 4))
    let processes = try (0..<4).map { _ in try WorkbenchProcess.start(["run", "exp.yaml"], in: folder.url) }
    let results = processes.map { $0.wait() }
    for result in results {
      #expect(result.status == 0, "\(result.stderr)")
      #expect(!result.stderr.lowercased().contains("locked"))
    }
    let after = try runs(in: log)
    #expect(after.count == 8)
    #expect(after.allSatisfy { $0.status == .finished && $0.attempts == 1 })
    let startedLines = results.flatMap { $0.stderrLines.filter { $0.hasSuffix(": started") } }
    #expect(startedLines.count == 8)
    // The process that finished last ran the analysis.
    #expect(results.contains { $0.stdout.contains("fitted to 8 runs") })
  }

  @Test func siblingProcessesDoNotRerunEachOthersFailures() throws {
    folder.write(
      "exp.yaml",
      "plugin: curve-sweep\nsize: [1e7, 2e7, 3e7, 4e7]\nsteps: 50\nstep_ms: 10\nfail_at_step: 40\n")
    let processes = try (0..<3).map { _ in try WorkbenchProcess.start(["run", "exp.yaml"], in: folder.url) }
    let results = processes.map { $0.wait() }
    #expect(results.contains { $0.status == 1 })
    let after = try runs(in: log)
    #expect(after.count == 4)
    #expect(after.allSatisfy { $0.status == .failed && $0.attempts == 1 })
  }

  @Test func dryRunPrintsRunsAndStatusesAndWritesNothing() throws {
    folder.write("exp.yaml", slowSweep(stepMilliseconds: 0))
    let dry = try WorkbenchProcess.run(["run", "exp.yaml", "steps=20", "--dry-run"], in: folder.url)
    #expect(dry.status == 0)
    #expect(!FileManager.default.fileExists(atPath: log))
    #expect(dry.stdout.contains("  steps: 20"))
    #expect(dry.stdout.contains("6 runs: 0 already finished, 6 would start"))
    _ = try WorkbenchProcess.run(["run", "exp.yaml", "steps=20", "size=1e7,2e7"], in: folder.url)
    let again = try WorkbenchProcess.run(["run", "exp.yaml", "steps=20", "--dry-run"], in: folder.url)
    #expect(again.stdout.contains("6 runs: 2 already finished, 4 would start"))
    let keys = try runs(in: log).map(\.key)
    for key in keys { #expect(again.stdout.contains(key)) }
  }

  @Test func failedRunsAreRetriedThenReportedWithExitStatus1() throws {
    folder.write("exp.yaml", "plugin: curve-sweep\nsize: 1e7\nsteps: 20\nfail_at_step: 5\nretries: 1\n")
    let result = try WorkbenchProcess.run(["run", "exp.yaml"], in: folder.url)
    #expect(result.status == 1)
    #expect(result.stderr.contains("failed at step 5 as fail_at_step asked"))
    let run = try #require(try runs(in: log).first)
    #expect(run.status == .failed)
    #expect(run.attempts == 2)
    let fixed = try WorkbenchProcess.run(["run", "exp.yaml", "~fail_at_step"], in: folder.url)
    #expect(fixed.status == 0)
  }
}
