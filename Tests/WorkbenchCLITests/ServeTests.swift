import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchServe
import WorkbenchTestSupport

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// An HTTP response as the tests look at it.
struct HTTPReply {
  var status: Int
  var body: String
  var headers: [String: String]
}

/// A `workbench serve` started on a free port for one test.
final class Served: @unchecked Sendable {
  let process: RunningWorkbench
  let base: String

  init(log: String, in folder: TemporaryDirectory, extra: [String] = []) throws {
    let started = try WorkbenchProcess.start(["serve", "--log", log, "--port", "0"] + extra, in: folder.url)
    var url: String?
    _ = eventually(timeout: 30) {
      url = started.stdoutSoFar.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init)
      return url != nil || !started.process.isRunning
    }
    guard let url else {
      let result = started.wait()
      throw ServeTestError("serve did not start: \(result.stderr)")
    }
    process = started
    base = String(url.dropLast())
  }

  deinit {
    if process.process.isRunning {
      process.send(SIGINT)
      _ = process.wait()
    }
  }

  func get(_ path: String) throws -> HTTPReply {
    let url = try #require(URL(string: base + path))
    let done = DispatchSemaphore(value: 0)
    let box = ReplyBox()
    URLSession.shared.dataTask(with: url) { data, response, error in
      let http = response as? HTTPURLResponse
      var headers: [String: String] = [:]
      for (key, value) in http?.allHeaderFields ?? [:] { headers["\(key)".lowercased()] = "\(value)" }
      box.reply = HTTPReply(
        status: http?.statusCode ?? -1,
        body: data.map { String(decoding: $0, as: UTF8.self) } ?? "\(String(describing: error))",
        headers: headers)
      done.signal()
    }.resume()
    done.wait()
    return box.reply!
  }

  func json(_ path: String) throws -> Any {
    let reply = try get(path)
    #expect(reply.status == 200, "\(path): \(reply.status) \(reply.body)")
    #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true)
    return try JSONSerialization.jsonObject(with: Data(reply.body.utf8))
  }
}

private final class ReplyBox: @unchecked Sendable { var reply: HTTPReply? }

struct ServeTestError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Debian's Chromium, for the browser test.
let chromiumPath = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first {
  FileManager.default.isExecutableFile(atPath: $0)
}

@Suite(.serialized) struct ServeTests {
  let folder = TemporaryDirectory()
  var log: String { folder.path("workbench.sqlite") }

  /// A real curve sweep (five sizes, fitted) in the test's folder.
  func sweep() throws -> [[String: Any]] {
    folder.write(
      "exp.yaml",
      """
      plugin: curve-sweep
      size: [1e7, 3e7, 1e8, 3e8, 1e9]
      steps: 120
      eval_every: 20
      noise: 0.01
      """)
    let result = try WorkbenchProcess.run(["run", "exp.yaml"], in: folder.url)
    #expect(result.status == 0, "\(result.stderr)")
    let listed = try WorkbenchProcess.run(["runs", "--json"], in: folder.url)
    return try #require(JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
  }

  @Test func everyPageAndEndpointOfARealSweep() throws {
    let runs = try sweep()
    let keys = runs.map { $0["key"] as! String }
    #expect(keys.count == 5)
    let server = try Served(log: log, in: folder)

    let home = try server.get("/")
    #expect(home.status == 200)
    #expect(home.body.contains("<a href=\"/experiments/exp\">exp</a>"))
    #expect(home.body.contains("curve-sweep"))

    let page = try server.get("/experiments/exp")
    #expect(page.status == 200)
    for key in keys { #expect(page.body.contains("href=\"/runs/\(key)\"")) }
    // One train-loss and one validation curve per run, the fit drawn over its data.
    #expect(page.body.components(separatedBy: "<polyline class=\"curve\"").count - 1 == 10)
    #expect(page.body.contains("<polyline class=\"fit\""))
    #expect(page.body.contains("class=\"fit extrapolation\""))
    #expect(page.body.contains("<polygon class=\"band\""))
    #expect(page.body.components(separatedBy: "<circle class=\"data\"").count - 1 == 5)
    #expect(page.body.contains("L(N) = E + A/N^alpha"))
    // The swept key is a column; sorting by it descending lists the largest size first.
    #expect(page.body.contains(">size<") || page.body.contains(">size ▴<"))
    let sorted = try server.get("/experiments/exp?sort=N&order=desc&fragment=main")
    let bySize = runs.sorted { ($0["N"] as! Int) > ($1["N"] as! Int) }.map { $0["key"] as! String }
    let positions = try bySize.map { try #require(sorted.body.range(of: "href=\"/runs/\($0)\"")).lowerBound }
    #expect(positions == positions.sorted())
    #expect(!sorted.body.contains("<html"))
    let filtered = try server.get("/experiments/exp?status=failed")
    #expect(filtered.status == 200)
    #expect(filtered.body.contains("<p>0 runs:"))
    #expect(!filtered.body.contains("href=\"/runs/"))
    #expect(try server.get("/experiments/exp/report").status == 404)  // curve sweeps write no report

    let run = try server.get("/runs/\(keys[0])")
    #expect(run.status == 200)
    #expect(
      run.body.contains("size: \(runs[0]["config"].flatMap { ($0 as? [String: Any])?["size"] }.map { "\($0)" } ?? "?")")
    )
    #expect(run.body.contains("<polyline class=\"curve\""))
    #expect(run.body.contains("train_loss") && run.body.contains("val_loss"))
    // A unique prefix of the key works like the key.
    #expect(try server.get("/runs/\(keys[0].prefix(10))").status == 200)

    let compare = try server.get("/compare?run=\(keys[0])&run=\(keys[1])")
    #expect(compare.status == 200)
    #expect(compare.body.contains("<tr class=\"differs\"><th>size</th>"))
    #expect(compare.body.contains("<tr class=\"\"><th>steps</th><td>120</td><td>120</td></tr>"))
    let differences = try server.get("/compare?run=\(keys[0])&run=\(keys[1])&only=differences")
    #expect(!differences.body.contains("<th>steps</th>"))

    // The API prints exactly what the CLI prints.
    let cliRuns = try WorkbenchProcess.run(["runs", "--json", "--experiment", "exp"], in: folder.url)
    #expect(try server.get("/api/runs?experiment=exp").body == cliRuns.stdout.trimmingCharacters(in: .newlines))
    let cliShow = try WorkbenchProcess.run(["show", keys[2], "--json"], in: folder.url)
    #expect(try server.get("/api/runs/\(keys[2])").body == cliShow.stdout.trimmingCharacters(in: .newlines))
    let experiments = try #require(try server.json("/api/experiments") as? [[String: Any]])
    #expect(experiments.count == 1)
    #expect(experiments[0]["run_count"] as? Int == 5)
    #expect((experiments[0]["runs"] as? [String: Int]) == ["finished": 5])
    let experiment = try #require(try server.json("/api/experiments/exp") as? [String: Any])
    let fits = try #require(experiment["fits"] as? [[String: Any]])
    #expect(fits.count == 1)
    #expect((fits[0]["run_ids"] as? [Int])?.count == 5)

    // Thinned metrics keep the endpoints and the minimum.
    let full = try #require(try server.json("/api/runs/\(keys[2])/metrics/train_loss") as? [String: Any])
    let thin = try #require(try server.json("/api/runs/\(keys[2])/metrics/train_loss?max_points=12") as? [String: Any])
    let fullPoints = try #require(full["points"] as? [[String: Any]])
    let thinPoints = try #require(thin["points"] as? [[String: Any]])
    #expect(fullPoints.count == 120)
    #expect(thinPoints.count <= 12 && thinPoints.count >= 6)
    #expect(thinPoints.first?["step"] as? Int == fullPoints.first?["step"] as? Int)
    #expect(thinPoints.last?["step"] as? Int == fullPoints.last?["step"] as? Int)
    let minimum = fullPoints.map { $0["value"] as! Double }.min()!
    #expect(thinPoints.contains { $0["value"] as! Double == minimum })
    let after = try #require(
      try server.json("/api/runs/\(keys[2])/metrics/train_loss?after_step=100") as? [String: Any])
    #expect((after["points"] as? [[String: Any]])?.map { $0["step"] as! Int } == Array(101...120))
  }

  @Test func badIdsAndPathsAreNotFoundAndArtifactsAreOnlyTheLoggedFiles() throws {
    let runs = try sweep()
    let key = runs[0]["key"] as! String
    // Artifacts the log lists for the run (recorded by hand: curve sweeps record none): one in
    // the run's folder, one elsewhere on disk.
    try FileManager.default.createDirectory(
      atPath: folder.path("runs/exp/\(key)"), withIntermediateDirectories: true)
    let file = folder.write("runs/exp/\(key)/samples.txt", "hello from the run\n")
    let outside = folder.write("outside.txt", "not a run's file\n")
    let writer = try RunLog(path: log)
    let record = try #require(try writer.run(matching: key))
    try writer.recordArtifact(ArtifactRecord(runID: record.id!, kind: "samples", path: file, sha256: "00", bytes: 19))
    try writer.recordArtifact(ArtifactRecord(runID: record.id!, kind: "notes", path: outside, sha256: "00", bytes: 17))
    let artifacts = try writer.artifacts(runID: record.id!)
    let artifactID = try #require(artifacts.first { $0.path == file }?.id)
    let outsideID = try #require(artifacts.first { $0.path == outside }?.id)
    let server = try Served(log: log, in: folder)

    let download = try server.get("/runs/\(key)/artifacts/\(artifactID)")
    #expect(download.status == 200)
    #expect(download.body == "hello from the run\n")
    #expect(download.headers["content-disposition"] == "attachment; filename=\"samples.txt\"")
    #expect(try server.get("/runs/\(key)").body.contains("href=\"/runs/\(key)/artifacts/\(artifactID)\""))

    let elsewhere = try server.get("/runs/\(key)/artifacts/\(outsideID)")
    #expect(elsewhere.status == 404)
    #expect(elsewhere.body.contains("only files in the run folders beside the log are served"))
    for path in [
      "/runs/nonexistent", "/runs/\(key)zz", "/runs/..%2F..%2Fetc%2Fpasswd", "/runs/%2e%2e/artifacts/1",
      "/runs/\(key)/artifacts/\(max(artifactID, outsideID) + 1)", "/runs/\(key)/artifacts/..%2F..%2F..%2Fetc%2Fpasswd",
      "/runs/\(key)/artifacts/-1", "/experiments/nope", "/experiments/..%2F..%2Fetc", "/experiments/exp/report",
      "/api/runs/nonexistent", "/api/runs/\(key)/metrics/none", "/compare?run=nonexistent", "/../../etc/passwd",
    ] {
      let reply = try server.get(path)
      #expect([400, 404].contains(reply.status), "\(path): \(reply.status)")
      #expect(!reply.body.contains("root:"), "\(path)")
    }
    // A listed artifact swapped for a link to another file is no longer served.
    try FileManager.default.removeItem(atPath: file)
    try FileManager.default.createSymbolicLink(atPath: file, withDestinationPath: "/etc/passwd")
    let swapped = try server.get("/runs/\(key)/artifacts/\(artifactID)")
    #expect(swapped.status == 404)
    #expect(!swapped.body.contains("root:"))
  }

  @Test func theServersConnectionCannotWriteAndForeignFilesAreRefused() throws {
    _ = try sweep()
    // The database and its write-ahead log, byte for byte (a write would land in the latter).
    let before: [Data?] = [contents(log), contents(log + "-wal")]
    #expect(before[0] != nil)
    let view = try LogView(path: log)
    for sql in ["DELETE FROM run", "UPDATE run SET status = 'failed'", "CREATE TABLE x (y)"] {
      let error = #expect(throws: RunLogError.self) { try view.log.query(sql) }
      #expect(error?.code == .readOnly, "\(sql)")
    }
    let server = try Served(log: log, in: folder)
    for path in ["/", "/experiments/exp", "/api/runs", "/api/live"] { #expect(try server.get(path).status == 200) }
    #expect([contents(log), contents(log + "-wal")] == before)

    let foreign = folder.write("notes.sqlite", "these are not a database\n")
    let refused = try WorkbenchProcess.run(["serve", "--log", foreign, "--port", "0"], in: folder.url)
    #expect(refused.status == 1)
    #expect(
      refused.stderrLines == [
        "Error: \(foreign) is not a workbench log (not an SQLite database); pass another file with --log PATH"
      ])
    let missing = try WorkbenchProcess.run(
      ["serve", "--log", folder.path("none.sqlite"), "--port", "0"], in: folder.url)
    #expect(missing.status == 1)
    #expect(missing.stderrLines.count == 1)
    #expect(!FileManager.default.fileExists(atPath: folder.path("none.sqlite")))

    let open = try Served(log: log, in: folder, extra: ["--host", "0.0.0.0"])
    #expect(try open.get("/").status == 200)
    open.process.send(SIGINT)
    let stopped = open.process.wait()
    #expect(stopped.status == 0)
    #expect(stopped.stderrLines.count == 1)
    #expect(
      stopped.stderr.hasPrefix("warning: listening on 0.0.0.0: anyone who can reach this machine can read the log"))
  }

  @Test func textFromTheLogIsEscapedAndFilterTextIsDecodedOnce() throws {
    _ = try sweep()
    let writer = try RunLog(path: log)
    let experiment = try #require(try writer.experiment(named: "exp"))
    var hostile = RunRecord(
      key: "feedfacefeedface", experimentID: experiment.id!, sweepID: nil,
      label: "<script>alert(\"x\")</script> a+b 50%", plugin: "curve-sweep", pluginVersion: "1", seed: 0,
      config: "{\"size\":\"</pre><img src=x onerror=alert(1)>\"}")
    hostile.status = .finished
    try writer.registerRuns([hostile])
    let server = try Served(log: log, in: folder)

    let page = try server.get("/experiments/exp")
    #expect(!page.body.contains("<script>alert"))
    #expect(page.body.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; a+b 50%"))
    #expect(!page.body.contains("<img src=x"))
    let run = try server.get("/runs/feedfacefeedface")
    #expect(run.status == 200)
    #expect(!run.body.contains("<img src=x") && run.body.contains("&lt;img src=x onerror=alert(1)&gt;"))
    // A form sends a typed "+" as %2B and a space as "+": the filter sees what was typed.
    let filtered = try server.get("/experiments/exp?q=a%2Bb+50%25&fragment=main")
    #expect(filtered.body.contains("<p>1 runs:"))
    #expect(filtered.body.contains("href=\"/runs/feedfacefeedface\""))
    #expect(try server.get("/experiments/exp?q=a+b&fragment=main").body.contains("<p>0 runs:"))
    // A page elsewhere cannot reach the server through a name that resolves to 127.0.0.1.
    let rebound = try tool(
      "curl",
      ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: attacker.example:8787", server.base + "/api/runs"])
    #expect(rebound.stdout == "403")
    let local = try tool(
      "curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Host: localhost:8787", server.base + "/"])
    #expect(local.stdout == "200")
  }

  @Test func liveEndpointSeesARunTrainAndStop() throws {
    // A slow sweep writes the log while the server reads it.
    folder.write(
      "exp.yaml",
      """
      plugin: curve-sweep
      size: [1e7, 2e7]
      steps: 400
      eval_every: 50
      step_ms: 15
      """)
    let training = try WorkbenchProcess.start(["run", "exp.yaml"], in: folder.url)
    #expect(
      try eventually(timeout: 60) {
        guard FileManager.default.fileExists(atPath: log), let all = try? runs(in: log) else { return false }
        return all.contains { $0.status == .running }
      })
    let server = try Served(log: log, in: folder)
    let first = try #require(try server.json("/api/live") as? [String: Any])
    let version = try #require(first["version"] as? Int)
    let running = try #require(try runs(in: log).first { $0.status == .running })
    #expect(try eventually(timeout: 20) { try server.get("/api/runs/\(running.key)/metrics/train_loss").status == 200 })
    let seen = try #require(try server.json("/api/runs/\(running.key)/metrics/train_loss") as? [String: Any])
    let lastStep = (seen["points"] as? [[String: Any]])?.last?["step"] as? Int ?? 0
    // New points arrive: the live counter moves and the points after the last one seen come back.
    #expect(
      try eventually(timeout: 20) {
        let live = try server.json("/api/live?version=\(version)") as? [String: Any]
        return live?["changed"] as? Bool == true
      })
    #expect(
      try eventually(timeout: 20) {
        let newer =
          try server.json("/api/runs/\(running.key)/metrics/train_loss?after_step=\(lastStep)") as? [String: Any]
        return ((newer?["points"] as? [[String: Any]])?.first?["step"] as? Int).map { $0 > lastStep } ?? false
      })
    // The run page's live fragment shows it running, then its end within a few seconds.
    #expect(
      try server.get("/runs/\(running.key)?fragment=main").body.contains(
        "<span class=\"status running\">running</span>"))
    training.send(SIGINT)
    _ = training.wait()
    #expect(
      try eventually(timeout: 10) {
        try server.get("/runs/\(running.key)?fragment=main").body.contains(
          "<span class=\"status interrupted\">interrupted</span>")
      })
    let listed = try #require(try server.json("/api/runs?experiment=exp") as? [[String: Any]])
    #expect(listed.contains { $0["key"] as? String == running.key && $0["status"] as? String == "interrupted" })
  }

  @Test(.enabled(if: chromiumPath != nil, "no Chromium installed (scripts/setup installs Debian's chromium)"))
  func aBrowserRendersTheCurvesAndTheFit() throws {
    let chromium = try #require(chromiumPath)
    _ = try sweep()
    let server = try Served(log: log, in: folder)
    let dom = try tool(
      chromium,
      [
        "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(folder.path("chromium"))",
        "--virtual-time-budget=3000", "--dump-dom", server.base + "/experiments/exp",
      ])
    #expect(dom.status == 0, "\(dom.stderr)")
    #expect(dom.stdout.components(separatedBy: "<polyline class=\"curve\"").count - 1 == 10)
    #expect(dom.stdout.contains("<polyline class=\"fit\""))
    // The page's script ran: it marks the live state once it has polled the server.
    #expect(dom.stdout.contains("live · updated"))
  }
}
