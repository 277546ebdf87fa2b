import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchTestSupport

@Suite(.serialized) struct LogCommandsTests {
  let folder = TemporaryDirectory()
  var log: String { folder.path("workbench.sqlite") }

  func runSweep(_ extra: [String] = []) throws {
    folder.write("exp.yaml", slowSweep(sizes: ["1e7", "2e7", "4e7"], stepMilliseconds: 0))
    let result = try WorkbenchProcess.run(["run", "exp.yaml"] + extra, in: folder.url)
    #expect(result.status == 0, "\(result.stderr)")
  }

  @Test func queryRefusesWritesAndLeavesTheFileByteForByte() throws {
    try runSweep()
    let before = try #require(contents(log))
    for sql in ["DELETE FROM run", "UPDATE run SET status = 'failed'", "DROP TABLE metric", "CREATE TABLE x (y)"] {
      let result = try WorkbenchProcess.run(["query", sql], in: folder.url)
      #expect(result.status != 0)
      #expect(result.stderrLines.count == 1, "\(result.stderr)")
      #expect(result.stderr.contains("read-only"))
    }
    #expect(contents(log) == before)
    let count = try WorkbenchProcess.run(["query", "SELECT count(*) AS n FROM run", "--csv"], in: folder.url)
    #expect(count.stdout == "n\n3\n")
  }

  @Test func mergeOfShardsThatShareRunsImportsEachOnce() throws {
    folder.write("exp.yaml", slowSweep(sizes: ["1e7"], stepMilliseconds: 0))
    for (shard, sizes) in [("a.sqlite", "1e7,2e7,4e7"), ("b.sqlite", "2e7,4e7,8e7")] {
      let result = try WorkbenchProcess.run(["run", "exp.yaml", "size=\(sizes)", "--log", shard], in: folder.url)
      #expect(result.status == 0, "\(result.stderr)")
    }
    let merge = try WorkbenchProcess.run(["log", "merge", "a.sqlite", "b.sqlite"], in: folder.url)
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(merge.stdout.contains("a.sqlite: 3 imported"))
    #expect(merge.stdout.contains("b.sqlite: 1 imported, 0 updated, 2 already here"))
    let again = try WorkbenchProcess.run(["log", "merge", "a.sqlite", "b.sqlite"], in: folder.url)
    #expect(again.stdout.contains("total: 0 imported"))
    let merged = try runs(in: log)
    #expect(merged.count == 4)
    #expect(Set(merged.map(\.key)).count == 4)
    let metrics = try sqlite3(log, "SELECT count(*) FROM metric", readOnly: true)
    #expect(metrics.stdout == "\(4 * metricsPerRun)\n")
    // The merged runs are the same runs a local sweep produces.
    let local = try WorkbenchProcess.run(
      ["run", "exp.yaml", "size=1e7,2e7,4e7,8e7", "--log", "local.sqlite", "--dry-run"], in: folder.url)
    for run in merged { #expect(local.stdout.contains(run.key)) }
  }

  @Test func theRunLogPagesQueryRunsInTheSQLiteShell() throws {
    try runSweep()
    let readme = try String(contentsOf: packageRoot.appendingPathComponent("docs/run-log.md"), encoding: .utf8)
    // the run log page's query (the first of its that reads validation losses)
    let start = try #require(readme.range(of: "```sql\nSELECT e.name AS experiment"))
    let end = try #require(readme.range(of: "```", range: start.upperBound..<readme.endIndex))
    let sql = String(readme[readme.index(start.lowerBound, offsetBy: 7)..<end.lowerBound])
    let result = try sqlite3(log, sql, readOnly: true)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 3, "\(result.stdout)")
    let through = try WorkbenchProcess.run(["query", sql, "--csv"], in: folder.url)
    #expect(through.status == 0)
    #expect(through.stdout.split(separator: "\n").count == 4)
  }

  @Test func runsShowAndExportDescribeTheLog() throws {
    try runSweep()
    let list = try WorkbenchProcess.run(["runs", "--experiment", "exp", "--json"], in: folder.url)
    let objects = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
    #expect(objects.count == 3)
    #expect(
      objects.allSatisfy {
        $0["status"] as? String == "finished" && ($0["config"] as? [String: Any])?["steps"] as? Int == 50
      })
    let key = try #require(objects.first?["key"] as? String)
    let show = try WorkbenchProcess.run(["show", String(key.prefix(6))], in: folder.url)
    #expect(show.status == 0)
    #expect(show.stdout.contains("run \(key)"))
    #expect(show.stdout.contains("val_loss"))
    #expect(show.stdout.contains("\"steps\" : 50"))
    let csv = try WorkbenchProcess.run(["export", "--metrics"], in: folder.url)
    #expect(csv.stdout.split(separator: "\n").count == 1 + 3 * metricsPerRun)
    let json = try WorkbenchProcess.run(["export", "--format", "json", "-o", "out.json"], in: folder.url)
    #expect(json.status == 0)
    let exported =
      try JSONSerialization.jsonObject(with: try #require(contents(folder.path("out.json")))) as? [[String: Any]]
    #expect((exported?.first?["metrics"] as? [String: Any])?["train_loss"] as? [Any] != nil)
    let plugins = try WorkbenchProcess.run(["plugins"], in: folder.url)
    #expect(plugins.stdout.contains("curve-sweep (version 1)"))
  }

  @Test func logBenchmarkPrintsOneRowPerOperationAndCleansUp() throws {
    let result = try WorkbenchProcess.run(["bench", "log", "--points", "2000", "--runs", "5"], in: folder.url)
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n")
    #expect(lines.count == 6)
    #expect(lines.contains { $0.hasPrefix("log one metric (buffered, flushes included)") && $0.contains(" 2000 ") })
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter {
      $0.hasPrefix("bench-")
    }
    #expect(leftovers.isEmpty)
  }
}
