import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog
import WorkbenchServe

#if canImport(Glibc)
  import Glibc
  private let streamSocket = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
  import Darwin
  private let streamSocket = SOCK_STREAM
#endif

struct BenchServeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "How fast `workbench serve` answers on a large log: every page and endpoint, cold and warm.",
    discussion: """
      Writes a temporary log (one experiment of --runs finished runs with --points metric points
      each, and a fit), reads every curve as `serve` does at start (timed), serves the log on a free
      local port and requests each page over HTTP once and --repeat more times. Removes the log.
      """)

  @Option(help: "Runs in the log.") var runs = 1000
  @Option(help: "Metric points per run (nine tenths training loss, one tenth validation loss).") var points = 5000
  @Option(help: "Warm requests per page.") var `repeat` = 5
  @Option(help: "Folder for the temporary log.") var folder = "."
  @Flag(help: "Keep the log (and print its path), to look at it with `workbench serve --log`.") var keep = false

  func validate() throws {
    guard runs >= 2, runs <= 100_000, points >= 10, points <= 1_000_000, `repeat` >= 1 else {
      throw ValidationError("--runs must be 2…100000, --points 10…1000000, --repeat at least 1")
    }
  }

  func run() throws {
    let directory = URL(fileURLWithPath: folder).appendingPathComponent("bench-serve-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer {
      if keep {
        writeStandardErrorLine("kept \(directory.appendingPathComponent("workbench.sqlite").path)")
      } else {
        try? FileManager.default.removeItem(at: directory)
      }
    }
    let path = directory.appendingPathComponent("workbench.sqlite").path
    let started = Date()
    let keys = try Self.writeLog(path: path, runs: runs, points: points)
    writeStandardErrorLine(
      String(
        format: "wrote %d runs × %d points (%.1f M points) in %.1f s", runs, points, Double(runs * points) / 1e6,
        Date().timeIntervalSince(started)))

    let view = try LogView(path: path)
    // What `serve` does in the background once it listens: read and thin every run's curves.
    let warming = Date()
    try view.warm()
    let warmSeconds = Date().timeIntervalSince(warming)
    let server = WorkbenchServer(view: view)
    let port = PortBox()
    let serving = Task { try await server.run(host: "127.0.0.1", port: 0) { port.set($0) } }
    defer { serving.cancel() }
    guard let bound = port.wait(seconds: 30) else { throw CommandError("the server did not start") }

    let pages = [
      ("experiments", "/"), ("experiment (runs table, curves, fit)", "/experiments/bench"),
      ("experiment, live fragment", "/experiments/bench?fragment=main"),
      ("experiment, sorted by val loss", "/experiments/bench?sort=val%20loss&order=desc"),
      ("experiment, filtered to one size", "/experiments/bench?q=size%3D1e%2B06"),
      ("run", "/runs/\(keys[keys.count / 2])"),
      ("compare 4 runs", "/compare?" + keys.prefix(4).map { "run=\($0)" }.joined(separator: "&")),
      ("api: runs", "/api/runs?experiment=bench"), ("api: experiment", "/api/experiments/bench"),
      ("api: run (all points)", "/api/runs/\(keys[1])"),
      ("api: metric, 400 points", "/api/runs/\(keys[2])/metrics/train_loss?max_points=400"), ("api: live", "/api/live"),
    ]
    emit(
      String(
        format: "reading and thinning every curve (serve does this at start, in the background): %.2f s", warmSeconds))
    var table = TextTable(["PAGE", "STATUS", "BYTES", "FIRST (ms)", "MEDIAN (ms)", "MAX (ms)"])
    for (name, target) in pages {
      let cold = try HTTPProbe.get(port: bound, path: target)
      var warm: [Double] = []
      for _ in 0..<`repeat` { warm.append(try HTTPProbe.get(port: bound, path: target).seconds) }
      warm.sort()
      table.append([
        name, String(cold.status), String(cold.bytes), String(format: "%.1f", cold.seconds * 1000),
        String(format: "%.1f", warm[warm.count / 2] * 1000), String(format: "%.1f", warm.last! * 1000),
      ])
    }
    emit(table.render())
  }

  /// One experiment of finished curve-sweep-like runs with learning curves and a fit.
  static func writeLog(path: String, runs count: Int, points: Int) throws -> [String] {
    let log = try RunLog(path: path)
    let experimentID = try log.registerExperiment(name: "bench", plugin: "curve-sweep", sourcePath: nil)
    var records: [RunRecord] = []
    let now = Date()
    for index in 0..<count {
      let N = 1e6 * pow(1000, Double(index % 50) / 49)
      let lr = [1e-3, 3e-3, 1e-2][index % 3]
      let config = "{\"lr\":\(lr),\"seed\":\(index / 150),\"size\":\(Int64(N)),\"steps\":\(points)}"
      var run = RunRecord(
        key: String(SHA256.hex("bench-serve \(index)").prefix(16)), experimentID: experimentID, sweepID: nil,
        label: String(format: "size=%.3g lr=%g", N, lr), plugin: "curve-sweep", pluginVersion: "1", seed: Int64(index),
        config: config, createdAt: now)
      run.status = .finished
      run.attempts = 1
      run.startedAt = now
      run.finishedAt = now
      run.durationSeconds = 1
      run.device = "cpu"
      run.N = Int64(N)
      run.D = Int64(points) * 4096
      run.C = 6 * N * Double(points) * 4096
      run.finalTrainLoss = 1.69 + 406.4 / pow(N, 0.34) + 0.05
      run.finalValLoss = 1.69 + 406.4 / pow(N, 0.34) + 0.06
      records.append(run)
    }
    try log.registerRuns(records)
    let stored = try log.runs(experimentID: experimentID)
    let validationEvery = 10
    for run in stored {
      let N = Double(run.N!)
      var metrics: [MetricRecord] = []
      metrics.reserveCapacity(points)
      var step: Int64 = 1
      while metrics.count < points {
        let tokens = step * 4096
        let loss = 1.69 + 406.4 / pow(N, 0.34) + 410.7 / pow(Double(tokens), 0.28)
        let noise = 0.01 * sin(Double(step) * 12.9898 + N)
        if step % Int64(validationEvery) == 0 {
          metrics.append(
            MetricRecord(
              runID: run.id!, name: "val_loss", step: step, value: loss + 0.01, tokens: tokens,
              flops: 6 * N * Double(tokens)))
        }
        if metrics.count < points {
          metrics.append(
            MetricRecord(
              runID: run.id!, name: "train_loss", step: step, value: loss + noise, tokens: tokens,
              flops: 6 * N * Double(tokens)))
        }
        step += 1
      }
      try log.appendMetrics(metrics)
    }
    let fit = try FitRecord(
      experimentID: experimentID, form: "L(N) = E + A/N^alpha", parameters: ["E": 1.74, "A": 406.4, "alpha": 0.34],
      intervals: ["E": [1.70, 1.78], "A": [380, 430], "alpha": [0.33, 0.35]], options: ["law": "L(N)"],
      pointCount: stored.count, objective: 0.01, r2: 0.999)
    _ = try log.insertFit(fit, runIDs: stored.map { $0.id! })
    return stored.map(\.key)
  }
}

/// The port the benchmark's server bound, handed from its task to the command's thread.
private final class PortBox: @unchecked Sendable {
  private let condition = NSCondition()
  private var port: Int?

  func set(_ value: Int) {
    condition.lock()
    port = value
    condition.broadcast()
    condition.unlock()
  }

  func wait(seconds: Double) -> Int? {
    condition.lock()
    defer { condition.unlock() }
    let deadline = Date().addingTimeInterval(seconds)
    while port == nil && condition.wait(until: deadline) {}
    return port
  }
}

/// A bare HTTP/1.1 GET over a local socket, timed from connect to the last byte
/// (`Connection: close`, so the server ends the body by closing).
enum HTTPProbe {
  static func get(port: Int, path: String) throws -> (status: Int, bytes: Int, seconds: Double) {
    let start = DispatchTime.now()
    let connection = socket(AF_INET, streamSocket, 0)
    guard connection >= 0 else { throw CommandError("socket: \(String(cString: strerror(errno)))") }
    defer { close(connection) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(connection, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw CommandError("connect to port \(port): \(String(cString: strerror(errno)))") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(connection, $0.baseAddress, $0.count, 0) }) == request.count else {
      throw CommandError("send: \(String(cString: strerror(errno)))")
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
      if count <= 0 { break }
      response.append(contentsOf: buffer[0..<count])
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    let head = String(decoding: response.prefix(64), as: UTF8.self)
    let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    let bodyStart = response.indices.first { index in
      index + 3 < response.count && response[index..<index + 4].elementsEqual([13, 10, 13, 10])
    }
    return (status, bodyStart.map { response.count - $0 - 4 } ?? 0, seconds)
  }
}
