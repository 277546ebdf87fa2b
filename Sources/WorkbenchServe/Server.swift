import Foundation
import Hummingbird
import Logging
import WorkbenchRunLog

/// `workbench serve`: a read-only web view and JSON API over one run log.
///
/// Pages (HTML + inline SVG, usable without JavaScript): `/` experiments, `/experiments/NAME`,
/// `/experiments/NAME/report`, `/runs/KEY`, `/runs/KEY/artifacts/ID`, `/compare?run=A&run=B`.
/// JSON: `/api/experiments`, `/api/experiments/NAME`, `/api/runs`, `/api/runs/KEY`,
/// `/api/runs/KEY/metrics/NAME`, `/api/live`. Nothing the server does writes to the log.
public struct WorkbenchServer: Sendable {
  public let view: LogView

  public init(view: LogView) { self.view = view }

  /// Serves until cancelled or sent SIGINT/SIGTERM; `onRunning` gets the bound port (useful with port 0).
  public func run(host: String, port: Int, onRunning: @escaping @Sendable (Int) -> Void) async throws {
    var logger = Logger(label: "workbench-serve")
    logger.logLevel = .critical  // failures reach the caller as thrown errors
    let app = Application(
      router: router(allowedHosts: Self.allowedHosts(listeningOn: host)),
      configuration: .init(address: .hostname(host, port: port), serverName: "workbench"),
      onServerRunning: { channel in onRunning(channel.localAddress?.port ?? port) },
      logger: logger)
    try await app.runService()
  }

  /// The `Host` names a request may carry: a server on a loopback address answers only to
  /// loopback names, so a web page elsewhere cannot read the log through DNS rebinding. nil: any
  /// (the server listens on the network on purpose).
  static func allowedHosts(listeningOn host: String) -> Set<String>? {
    let loopback: Set<String> = ["localhost", "127.0.0.1", "[::1]", "::1"]
    if ["0.0.0.0", "::", "[::]"].contains(host) { return nil }
    return loopback.union([host.lowercased()])
  }

  func router(allowedHosts: Set<String>? = nil) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: HostCheck(allowed: allowedHosts))
    let pages = Pages(view: view)
    let view = self.view

    router.get("/") { request, _ in
      try Self.html(pages.experiments(fragment: request.uri.queryParameters["fragment"] != nil))
    }
    router.get("/experiments/:name") { request, context in
      let experiment = try Self.experiment(context, view)
      return try Self.html(pages.experiment(experiment, query: Self.pageQuery(request)))
    }
    router.get("/experiments/:name/report") { _, context in
      let experiment = try Self.experiment(context, view)
      guard let url = view.reportURL(of: experiment), let data = FileManager.default.contents(atPath: url.path) else {
        throw HTTPError(
          .notFound, message: "experiment '\(experiment.name)' has no report yet: `workbench report` writes one")
      }
      var headers = HTTPFields()
      headers[.contentType] = "text/html; charset=utf-8"
      // Reports are static: no scripts, no requests elsewhere.
      headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
      return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    router.get("/runs/:key") { request, context in
      try Self.html(pages.run(Self.run(context, view), fragment: request.uri.queryParameters["fragment"] != nil))
    }
    router.get("/runs/:key/artifacts/:id") { _, context in
      let run = try Self.run(context, view)
      guard let id = context.parameters.get("id", as: Int64.self),
        let artifact = try view.artifacts(run).first(where: { $0.id == id })
      else { throw HTTPError(.notFound, message: "run \(run.key) has no such artifact") }
      let file = try ArtifactFile(opening: artifact.path, under: view.runsRoot)
      var headers = HTTPFields()
      headers[.contentType] = "application/octet-stream"
      let name = (artifact.path as NSString).lastPathComponent.filter {
        $0.isASCII && !$0.isNewline && $0 != "\"" && $0 != "\\"
      }
      headers[.contentDisposition] = "attachment; filename=\"\(name)\""
      return Response(status: .ok, headers: headers, body: file.body())
    }
    router.get("/compare") { request, _ in
      let references = request.uri.queryParameters[values: "run"].map(String.init)
      guard references.count >= 1, references.count <= 50 else {
        throw HTTPError(.badRequest, message: "choose between 1 and 50 runs to compare: /compare?run=KEY&run=KEY")
      }
      let runs = try references.map { reference in
        guard let run = try view.run(reference) else { throw HTTPError(.notFound, message: "no run '\(reference)'") }
        return run
      }
      return try Self.html(
        pages.compare(
          runs, onlyDifferences: request.uri.queryParameters["only"] == "differences",
          fragment: request.uri.queryParameters["fragment"] != nil))
    }

    // JSON API: the same objects `runs --json`, `show --json` and `export` print.
    router.get("/api/experiments") { _, _ in try Self.json(view.experiments()) }
    router.get("/api/experiments/:name") { _, context in
      let experiment = try Self.experiment(context, view)
      let overview = try view.experiments().first { $0.name == experiment.name }
      let runs = try view.runs(of: experiment).map { RunJSON($0, experiment: experiment.name) }
      let fits = try view.fits(of: experiment).map { FitJSON($0.fit, runIDs: $0.runIDs) }
      return try Self.json(ExperimentJSON(experiment: overview, runs: runs, fits: fits))
    }
    router.get("/api/runs") { request, _ in
      let statuses = try request.uri.queryParameters[values: "status"].map { text in
        guard let status = RunStatus(rawValue: String(text)) else {
          throw HTTPError(.badRequest, message: "unknown status '\(text)'")
        }
        return status
      }
      var experimentID: Int64?
      var names: [Int64: String] = [:]
      for experiment in try view.log.experiments() { names[experiment.id!] = experiment.name }
      if let name = request.uri.queryParameters["experiment"] {
        guard let id = names.first(where: { $0.value == name })?.key else {
          throw HTTPError(.notFound, message: "no experiment '\(name)'")
        }
        experimentID = id
      }
      let runs = try view.log.runs(experimentID: experimentID, statuses: statuses.isEmpty ? nil : statuses)
      return try Self.json(runs.map { RunJSON($0, experiment: names[$0.experimentID] ?? "?") })
    }
    router.get("/api/runs/:key") { request, context in
      let run = try Self.run(context, view)
      let experiment = try view.log.experiments().first { $0.id == run.experimentID }?.name ?? "?"
      var metrics: [String: [MetricJSON]]
      if let maxPoints = request.uri.queryParameters.get("max_points", as: Int.self) {
        guard maxPoints >= 4 else { throw HTTPError(.badRequest, message: "max_points must be at least 4") }
        metrics = [:]
        for name in try view.log.metricSummaries(runID: run.id!).map(\.name) {
          metrics[name] = try view.metric(run, name: name, after: nil, maxPoints: maxPoints).map(\.json)
        }
      } else {
        metrics = MetricJSON.grouped(try view.log.metrics(runID: run.id!))
      }
      return try Self.json(RunJSON(run, experiment: experiment, metrics: metrics))
    }
    router.get("/api/runs/:key/metrics/:metric") { request, context in
      let run = try Self.run(context, view)
      guard let name = context.parameters.get("metric")?.removingPercentEncoding else {
        throw HTTPError(.badRequest, message: "no metric name")
      }
      let query = request.uri.queryParameters
      let after = query.get("after_step", as: Int64.self)
      let maxPoints = query.get("max_points", as: Int.self)
      if let maxPoints, maxPoints < 4 { throw HTTPError(.badRequest, message: "max_points must be at least 4") }
      let points = try view.metric(run, name: name, after: after, maxPoints: maxPoints).map(\.json)
      if points.isEmpty, try !view.hasMetric(run, name: name) {
        throw HTTPError(.notFound, message: "run \(run.key) logs no metric '\(name.prefix(200))'")
      }
      return try Self.json(MetricSeriesJSON(run: run.key, name: name, status: run.status.rawValue, points: points))
    }
    router.get("/api/live") { request, _ in
      let version = try view.version()
      let since = request.uri.queryParameters.get("version", as: Int64.self)
      return try Self.json(LiveJSON(version: version, changed: since.map { $0 != version } ?? true))
    }
    return router
  }

  // MARK: Helpers

  static func pageQuery(_ request: Request) -> Pages.Query {
    let form = formValues(request.uri.query)
    func first(_ name: String) -> String? { form.first { $0.name == name }?.value }
    var query = Pages.Query()
    query.sort = first("sort")
    query.descending = first("order") == "desc"
    query.statuses = form.filter { $0.name == "status" }.compactMap { RunStatus(rawValue: $0.value) }
    query.text = first("q")
    query.fragment = first("fragment") != nil
    query.page = first("page").flatMap { Int($0) } ?? 1
    return query
  }

  /// The name–value pairs of a query string as an HTML form sends them: `+` is a space and
  /// `%XX` a byte, decoded once (a value that is not valid percent-encoding is kept as written).
  static func formValues(_ query: String?) -> [(name: String, value: String)] {
    guard let query, !query.isEmpty else { return [] }
    return query.split(separator: "&").map { pair in
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
      }
      return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
    }
  }

  static func experiment(_ context: BasicRequestContext, _ view: LogView) throws -> ExperimentRecord {
    guard let name = context.parameters.get("name")?.removingPercentEncoding,
      let experiment = try view.experiment(named: name)
    else { throw HTTPError(.notFound, message: "no such experiment in this log") }
    return experiment
  }

  static func run(_ context: BasicRequestContext, _ view: LogView) throws -> RunRecord {
    let reference = context.parameters.get("key") ?? ""
    guard let run = try view.run(reference) else {
      throw HTTPError(.notFound, message: "no run '\(reference.prefix(64))' in this log")
    }
    return run
  }

  static func html(_ text: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "text/html; charset=utf-8"
    headers[.cacheControl] = "no-store"
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
  }

  static func json<T: Encodable>(_ value: T) throws -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json; charset=utf-8"
    headers[.cacheControl] = "no-store"
    return Response(
      status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: try RunJSON.encode(value))))
  }
}

/// `/api/experiments/NAME`.
struct ExperimentJSON: Encodable {
  var experiment: ExperimentOverview?
  var runs: [RunJSON]
  var fits: [FitJSON]
}

/// A stored fit as the API gives it.
struct FitJSON: Encodable {
  var id: Int64
  var form: String
  var parameters: JSONFragment
  var intervals: JSONFragment?
  var options: JSONFragment?
  var pointCount: Int
  var objective: Double
  var r2: Double?
  var createdAt: Date
  /// Ids of the runs the fit was made from.
  var runIDs: [Int64]

  enum CodingKeys: String, CodingKey {
    case id, form, parameters, intervals, options, objective, r2
    case runIDs = "run_ids"
    case pointCount = "point_count"
    case createdAt = "created_at"
  }

  init(_ fit: FitRecord, runIDs: Set<Int64>) {
    id = fit.id!
    form = fit.form
    parameters = JSONFragment(fit.parameters)
    intervals = fit.intervals.map(JSONFragment.init)
    options = fit.options.map(JSONFragment.init)
    pointCount = fit.pointCount
    objective = fit.objective
    r2 = fit.r2
    createdAt = fit.createdAt
    self.runIDs = runIDs.sorted()
  }
}

/// `/api/runs/KEY/metrics/NAME`.
struct MetricSeriesJSON: Encodable {
  var run: String
  var name: String
  var status: String
  var points: [MetricJSON]
}

/// `/api/live`: the log's change counter, and whether it moved since the `version` the client saw.
struct LiveJSON: Encodable {
  var version: Int64
  var changed: Bool
}

extension CurvePoint {
  var json: MetricJSON { MetricJSON(step: step, value: value, tokens: tokens, flops: flops) }
}

/// Refuses requests whose `Host` is not one the server answers to (see `allowedHosts`).
struct HostCheck: RouterMiddleware {
  typealias Context = BasicRequestContext
  let allowed: Set<String>?

  func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
    -> Response
  {
    if let allowed {
      let authority = (request.head.authority ?? "").lowercased()
      // Drop the port: "127.0.0.1:8787" → "127.0.0.1", "[::1]:8787" → "[::1]".
      let name: String
      if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
        name = String(authority[...end])
      } else {
        name = String(authority.split(separator: ":").first ?? "")
      }
      guard allowed.contains(name) else {
        throw HTTPError(.forbidden, message: "this server answers only to \(allowed.sorted().joined(separator: ", "))")
      }
    }
    return try await next(request, context)
  }
}

/// An artifact checked for download: a regular file (not a link) inside the run folders. The
/// bytes are read from a descriptor opened without following links and checked to be the same
/// file (device and inode) as the one checked here.
struct ArtifactFile: Sendable {
  let path: String
  let size: Int64
  let device: UInt64
  let inode: UInt64

  init(opening path: String, under root: URL) throws {
    let notFound = HTTPError(.notFound, message: "the artifact is no longer on disk")
    guard let real = realpath(path, nil) else { throw notFound }
    let resolved = String(cString: real)
    free(real)
    let rootPath = (root.path as NSString).resolvingSymlinksInPath
    // Only files under runs/ beside the log (wherever links on the way point); the file itself
    // must not be a link (opened with O_NOFOLLOW).
    guard resolved.hasPrefix(rootPath + "/") else {
      throw HTTPError(.notFound, message: "only files in the run folders beside the log are served")
    }
    guard let info = Self.status(of: path) else { throw notFound }
    self.path = path
    size = Int64(info.st_size)
    device = UInt64(info.st_dev)
    inode = UInt64(info.st_ino)
  }

  /// `fstat` of the regular file at `path` opened without following a link, or nil.
  static func status(of path: String) -> stat? {
    let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      close(descriptor)
      return nil
    }
    close(descriptor)
    return info
  }

  /// The file's bytes in 1 MiB chunks (the body ends early if the file was replaced meanwhile).
  func body() -> ResponseBody {
    let file = self
    return ResponseBody(contentLength: Int(size)) { writer in
      let descriptor = open(file.path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
      guard descriptor >= 0 else { return try await writer.finish(nil) }
      defer { close(descriptor) }
      var info = stat()
      guard fstat(descriptor, &info) == 0, UInt64(info.st_dev) == file.device, UInt64(info.st_ino) == file.inode else {
        return try await writer.finish(nil)
      }
      var remaining = file.size
      var chunk = [UInt8](repeating: 0, count: 1 << 20)
      while remaining > 0 {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, min($0.count, Int(remaining))) }
        guard count > 0 else { break }
        try await writer.write(ByteBuffer(bytes: chunk[0..<count]))
        remaining -= Int64(count)
      }
      try await writer.finish(nil)
    }
  }
}
