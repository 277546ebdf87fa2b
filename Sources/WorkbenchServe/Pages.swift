import Foundation
import WorkbenchKit
import WorkbenchRunLog

/// The server-rendered pages. Each builds its `main` region separately so live updates can fetch
/// just that (`?fragment=main`).
struct Pages {
  let view: LogView

  /// What a page request asked for beyond its path.
  struct Query {
    var sort: String?
    var descending = false
    var statuses: [RunStatus] = []
    var text: String?
    var fragment = false
    /// 1-based page of the runs table.
    var page = 1
  }

  /// Rows of an experiment's runs table per page (sorting and filtering cover every run).
  static let pageSize = 200

  // MARK: Experiments

  func experiments(fragment: Bool) throws -> String {
    let experiments = try view.experiments()
    var rows = ""
    for e in experiments {
      let counts = RunStatus.allCases.compactMap { s in e.runs[s.rawValue].map { "\(HTML.status(s)) \($0)" } }
      rows += """
        <tr><td><a href="\(HTML.experimentPath(e.name))">\(HTML.text(e.name))</a></td><td>\(HTML.text(e.plugin))</td>\
        <td class="num">\(e.runCount)</td><td>\(counts.joined(separator: " "))</td>\
        <td data-value="\(e.lastActivity?.timeIntervalSince1970 ?? 0)">\(HTML.age(e.lastActivity))</td></tr>
        """
    }
    let main =
      experiments.isEmpty
      ? "<h1>Experiments</h1><p class=\"muted\">The log has no experiments yet: <code>workbench run experiments/smoke.yaml</code> starts one.</p>"
      : """
      <h1>Experiments</h1>
      <table class="runs"><thead><tr><th data-sort>experiment</th><th data-sort>plugin</th><th data-sort>runs</th><th>by status</th><th data-sort>last activity</th></tr></thead>
      <tbody>\(rows)</tbody></table>
      <p class="muted">Log: \(HTML.text(view.log.path)) · JSON: <a href="/api/experiments">/api/experiments</a></p>
      """
    if fragment { return main }
    return HTML.page(title: "Experiments", breadcrumbs: [("experiments", nil)], main: main, live: "/?fragment=main")
  }

  // MARK: One experiment

  /// The columns of the runs table: fixed ones, then every config key whose value differs between runs.
  struct Column {
    let title: String
    let value: (RunRecord) -> (text: String, sort: String, numeric: Bool)
  }

  func columns(_ runs: [RunRecord]) -> [Column] {
    func num(_ v: Double?) -> (String, String, Bool) { (HTML.number(v), v.map { String($0) } ?? "", true) }
    var columns = [
      Column(title: "status") { ($0.status.rawValue, $0.status.rawValue, false) },
      Column(title: "label") { ($0.label, $0.label, false) },
    ]
    let configs = runs.map(view.flatConfig)
    let keys = Set(configs.flatMap(\.keys)).sorted()
    for key in keys {
      let values = configs.map { $0[key] }
      guard Set(values.map { $0.map(Self.describe) ?? "" }).count > 1 else { continue }
      columns.append(
        Column(title: key) { run in
          let value = view.flatConfig(run)[key]
          let text = value.map(Self.describe) ?? "-"
          switch value {
          case .integer(let v)?: return (text, String(v), true)
          case .number(let v)?: return (text, String(v), true)
          default: return (text, text, false)
          }
        })
    }
    columns += [
      Column(title: "N") { num($0.N.map(Double.init)) },
      Column(title: "D") { num($0.D.map(Double.init)) },
      Column(title: "C") { num($0.C) },
      Column(title: "train loss") { num($0.finalTrainLoss) },
      Column(title: "val loss") { num($0.finalValLoss) },
      Column(title: "device") { ($0.device ?? "-", $0.device ?? "", false) },
      Column(title: "time (s)") { num($0.durationSeconds) },
    ]
    return columns
  }

  static func describe(_ value: JSONValue) -> String {
    switch value {
    case .array, .object:
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? value.scalarText
    default: return value.scalarText
    }
  }

  func experiment(_ experiment: ExperimentRecord, query: Query) throws -> String {
    let version = try view.version()
    let allRuns = try view.runs(of: experiment)
    var runs = allRuns
    let columns = columns(runs)
    if !query.statuses.isEmpty { runs = runs.filter { query.statuses.contains($0.status) } }
    if let words = query.text?.lowercased(), !words.isEmpty {
      runs = runs.filter { run in
        ([run.key, run.label, run.status.rawValue] + columns.map { $0.value(run).text }).joined(separator: " ")
          .lowercased().contains(words)
      }
    }
    if query.sort == "key" {
      runs.sort { query.descending ? $0.key > $1.key : $0.key < $1.key }
    } else if let sort = query.sort, let column = columns.first(where: { $0.title == sort }) {
      let keys = runs.map { column.value($0) }
      // A strict total order: numbers (NaN first) before text, ties broken by run key.
      func less(_ i: Int, _ j: Int) -> Bool {
        let (x, y) = (keys[i], keys[j])
        if x.numeric, let p = Double(x.sort), let q = Double(y.sort) {
          if p.isNaN != q.isNaN { return p.isNaN }
          if p != q && !p.isNaN { return p < q }
        } else if x.sort != y.sort {
          return x.sort < y.sort
        }
        return runs[i].key < runs[j].key
      }
      let order = runs.indices.sorted { query.descending ? less($1, $0) : less($0, $1) }
      runs = order.map { runs[$0] }
    }
    let matching = runs.count
    let pages = max(1, (matching + Self.pageSize - 1) / Self.pageSize)
    let page = min(max(1, query.page), pages)
    let shown = Array(runs[min(matching, (page - 1) * Self.pageSize)..<min(matching, page * Self.pageSize)])
    var curves: [Int64: [String: [CurvePoint]]] = [:]
    for run in runs where run.status != .pending { curves[run.id!] = try view.curves(run, version: version) }

    let base = HTML.experimentPath(experiment.name)
    func sortLink(_ title: String) -> String {
      let descending = query.sort == title && !query.descending
      var parts = ["sort=\(HTML.component(title))"]
      if descending { parts.append("order=desc") }
      parts += query.statuses.map { "status=\($0.rawValue)" }
      if let text = query.text, !text.isEmpty { parts.append("q=\(HTML.component(text))") }
      let arrow = query.sort == title ? (query.descending ? " ▾" : " ▴") : ""
      return "<a href=\"\(HTML.text(base + "?" + parts.joined(separator: "&")))\">\(HTML.text(title))\(arrow)</a>"
    }
    var table = "<table class=\"runs\"><thead><tr><th></th><th data-sort>\(sortLink("key"))</th>"
    for column in columns { table += "<th data-sort>\(sortLink(column.title))</th>" }
    table += "</tr></thead><tbody>"
    for run in shown {
      table +=
        "<tr><td><input type=\"checkbox\" name=\"run\" value=\"\(HTML.text(run.key))\"></td><td><a href=\"\(HTML.runPath(run))\"><code>\(HTML.text(run.key))</code></a></td>"
      for column in columns {
        let cell = column.value(run)
        let content = column.title == "status" ? HTML.status(run.status) + staleNote(run) : HTML.text(cell.text)
        table += "<td\(cell.numeric ? " class=\"num\"" : "") data-value=\"\(HTML.text(cell.sort))\">\(content)</td>"
      }
      table += "</tr>"
    }
    table += "</tbody></table>"
    if pages > 1 {
      func pageLink(_ number: Int, _ text: String) -> String {
        var copy = query
        copy.page = number
        copy.fragment = false
        return "<a href=\"\(HTML.text(queryURL(base, copy)))\">\(text)</a>"
      }
      var pager = ["runs \((page - 1) * Self.pageSize + 1)–\((page - 1) * Self.pageSize + shown.count) of \(matching)"]
      if page > 1 { pager.append(pageLink(page - 1, "‹ previous")) }
      if page < pages { pager.append(pageLink(page + 1, "next ›")) }
      table += "<p class=\"pager\">\(pager.joined(separator: " · "))</p>"
    }

    let counts = Dictionary(grouping: runs, by: \.status).mapValues(\.count)
    let summary = RunStatus.allCases.compactMap { s in counts[s].map { "\(HTML.status(s)) \($0)" } }.joined(
      separator: " ")
    let metricNames = Set(curves.values.flatMap(\.keys))
    var learning: [String] = []
    for name in [MetricName.trainLoss.name, MetricName.valLoss.name] where metricNames.contains(name) {
      learning.append(Figures.curves(metric: name, runs: runs, curves: curves))
    }
    var fitRows = ""
    var fitFigures: [String] = []
    for (fit, members) in try view.fits(of: experiment) {
      let parameters = Figures.decode(fit.parameters)
      let intervals = Figures.decodeIntervals(fit.intervals ?? "{}")
      let options = Figures.decodeStrings(fit.options ?? "{}")
      let cells = parameters.keys.sorted().map { name in
        "\(HTML.text(name)) = \(HTML.number(parameters[name]))"
          + (intervals[name].map { " [\(HTML.number($0[0])), \(HTML.number($0[1]))]" } ?? "")
      }.joined(separator: "<br>")
      fitRows += """
        <tr><td>\(fit.id!)</td><td>\(HTML.text(fit.form))</td><td>\(cells)</td><td class="num">\(HTML.number(fit.r2))</td>\
        <td class="num">\(fit.pointCount)</td><td>\(HTML.text(options.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))</td><td>\(HTML.date(fit.createdAt))</td></tr>
        """
      let fitRuns = allRuns.filter { members.contains($0.id!) }
      var fitCurves: [Int64: [String: [CurvePoint]]] = [:]
      for run in fitRuns { fitCurves[run.id!] = try curves[run.id!] ?? view.curves(run, version: version) }
      if let svg = Figures.fit(fit, runs: fitRuns, curves: fitCurves, flatConfig: view.flatConfig) {
        fitFigures.append(svg)
      }
    }
    let spreads = Figures.spreads(runs: runs, curves: curves)
    var main = """
      <h1>\(HTML.text(experiment.name)) <span class="muted">· \(HTML.text(experiment.plugin))</span></h1>
      <p>\(matching) runs: \(summary) · <a href="/api/experiments/\(HTML.component(experiment.name))">JSON</a>\
      \(view.reportURL(of: experiment) != nil ? " · <a href=\"\(base)/report\">report</a>" : "")</p>
      <form action="/compare" method="get"><p><button type="submit">Compare selected runs</button></p>
      \(table)</form>
      """
    if !learning.isEmpty { main += "<h2>Learning curves</h2><div class=\"figures\">\(learning.joined())</div>" }
    if !fitRows.isEmpty {
      main += """
        <h2>Fits</h2><table><thead><tr><th>id</th><th>form</th><th>parameters [95% interval]</th><th>R²</th><th>points</th><th>options</th><th>made</th></tr></thead>
        <tbody>\(fitRows)</tbody></table>
        <div class="figures">\(fitFigures.joined())</div>
        """
    }
    if !spreads.isEmpty {
      main += "<h2>Spread across prompt variants</h2><div class=\"figures\">\(spreads.joined())</div>"
    }
    if view.reportURL(of: experiment) != nil {
      main += "<h2>Report</h2><iframe sandbox src=\"\(base)/report\" title=\"report\"></iframe>"
    }
    if query.fragment { return main }
    let statusOptions = RunStatus.allCases.map {
      "<label><input type=\"checkbox\" name=\"status\" value=\"\($0.rawValue)\"\(query.statuses.contains($0) ? " checked" : "")> \($0.rawValue)</label>"
    }.joined(separator: " ")
    let filter = """
      <div class="above"><form class="filter" method="get" action="\(base)">
      <input id="filter" type="search" name="q" placeholder="filter runs" value="\(HTML.text(query.text ?? ""))"> \(statusOptions)
      \(query.sort.map { "<input type=\"hidden\" name=\"sort\" value=\"\(HTML.text($0))\">" } ?? "")\
      \(query.descending ? "<input type=\"hidden\" name=\"order\" value=\"desc\">" : "")
      <button type="submit">filter</button></form></div>
      """
    return HTML.page(
      title: experiment.name, breadcrumbs: [("experiments", "/"), (experiment.name, nil)], above: filter, main: main,
      live: fragmentURL(base, query))
  }

  func fragmentURL(_ base: String, _ query: Query) -> String {
    var copy = query
    copy.fragment = true
    return queryURL(base, copy)
  }

  /// The experiment page's URL for `query`.
  func queryURL(_ base: String, _ query: Query) -> String {
    var parts: [String] = query.fragment ? ["fragment=main"] : []
    if query.page > 1 { parts.append("page=\(query.page)") }
    if let sort = query.sort { parts.append("sort=\(HTML.component(sort))") }
    if query.descending { parts.append("order=desc") }
    parts += query.statuses.map { "status=\($0.rawValue)" }
    if let text = query.text, !text.isEmpty { parts.append("q=\(HTML.component(text))") }
    return parts.isEmpty ? base : base + "?" + parts.joined(separator: "&")
  }

  /// A running run whose heartbeat is older than the lease: its process has probably died.
  func staleNote(_ run: RunRecord) -> String {
    guard run.status == .running, let heartbeat = run.heartbeatAt, Date().timeIntervalSince(heartbeat) > 90 else {
      return ""
    }
    return " <span class=\"muted\" title=\"no heartbeat for over 90 s: the process may have stopped\">(stale)</span>"
  }

  // MARK: One run

  func run(_ run: RunRecord, fragment: Bool) throws -> String {
    let version = try view.version()
    let experiment = try view.log.experiments().first { $0.id == run.experimentID }
    let curves = try view.curves(run, version: version)
    let config = JSONFragment(run.config).value.yamlLines().joined(separator: "\n")
    var facts: [(String, String)] = [
      ("status", HTML.status(run.status) + staleNote(run) + " after \(run.attempts) attempt(s)"),
      ("plugin", HTML.text("\(run.plugin) \(run.pluginVersion)")), ("seed", String(run.seed)),
      ("device", HTML.text(run.device ?? "-")), ("host", HTML.text(run.host ?? "-")),
      ("created", HTML.date(run.createdAt)), ("started", HTML.date(run.startedAt)),
      ("heartbeat", run.heartbeatAt.map { "\(HTML.date($0)) (\(HTML.age($0)))" } ?? "-"),
      ("finished", HTML.date(run.finishedAt)),
      ("duration", run.durationSeconds.map { String(format: "%.2f s", $0) } ?? "-"),
      ("workbench", HTML.text(run.workbenchVersion ?? "-") + (run.gitRevision.map { " (\(HTML.text($0)))" } ?? "")),
    ]
    if !run.label.isEmpty { facts.insert(("label", HTML.text(run.label)), at: 1) }
    if let error = run.error { facts.append(("error", "<span class=\"error\">\(HTML.text(error))</span>")) }
    let summary: [(String, String)] = [
      ("N", HTML.number(run.N)), ("N_total", HTML.number(run.NTotal)), ("D", HTML.number(run.D)),
      ("C", HTML.number(run.C)), ("final train loss", HTML.number(run.finalTrainLoss)),
      ("final val loss", HTML.number(run.finalValLoss)),
    ]
    let factRows = facts.map { "<tr><th>\($0.0)</th><td>\($0.1)</td></tr>" }.joined()
    let summaryRows = summary.map { "<tr><th>\($0.0)</th><td class=\"num\">\($0.1)</td></tr>" }.joined()
    var plots: [String] = []
    var scalars = ""
    for name in curves.keys.sorted() {
      let points = curves[name]!
      if points.count > 1 {
        plots.append(Figures.curves(metric: name, runs: [run], curves: [run.id!: curves]))
      } else if let point = points.first {
        scalars +=
          "<tr><td>\(HTML.text(name))</td><td class=\"num\">\(point.step)</td><td class=\"num\">\(HTML.number(point.value))</td></tr>"
      }
    }
    let artifacts = try view.artifacts(run)
    let artifactRows = artifacts.map { a in
      "<tr><td><a href=\"\(HTML.runPath(run))/artifacts/\(a.id!)\">\(HTML.text((a.path as NSString).lastPathComponent))</a></td><td>\(HTML.text(a.kind))</td><td class=\"num\">\(HTML.bytes(a.bytes))</td><td><code>\(HTML.text(String(a.sha256.prefix(16))))</code></td><td class=\"muted\">\(HTML.text(a.path))</td></tr>"
    }.joined()
    var main = """
      <h1>Run <code>\(HTML.text(run.key))</code></h1>
      <p>\(experiment.map { "experiment <a href=\"\(HTML.experimentPath($0.name))\">\(HTML.text($0.name))</a> · " } ?? "")<a href="/api/runs/\(HTML.component(run.key))">JSON</a></p>
      <div class="figures"><table>\(factRows)</table><table>\(summaryRows)</table></div>
      <h2>Config</h2><pre>\(HTML.text(config))</pre>
      """
    if !plots.isEmpty { main += "<h2>Metrics</h2><div class=\"figures\">\(plots.joined())</div>" }
    if !scalars.isEmpty {
      main +=
        "<h2>Single values</h2><table><thead><tr><th>metric</th><th>step</th><th>value</th></tr></thead><tbody>\(scalars)</tbody></table>"
    }
    if !artifactRows.isEmpty {
      main +=
        "<h2>Artifacts</h2><table><thead><tr><th>file</th><th>kind</th><th>size</th><th>sha256</th><th>path</th></tr></thead><tbody>\(artifactRows)</tbody></table>"
    }
    if fragment { return main }
    var crumbs: [(String, String?)] = [("experiments", "/")]
    if let experiment { crumbs.append((experiment.name, HTML.experimentPath(experiment.name))) }
    crumbs.append((run.key, nil))
    return HTML.page(
      title: "run \(run.key)", breadcrumbs: crumbs, main: main, live: "\(HTML.runPath(run))?fragment=main")
  }

  // MARK: Compare

  func compare(_ runs: [RunRecord], onlyDifferences: Bool, fragment: Bool) throws -> String {
    let version = try view.version()
    let configs = runs.map(view.flatConfig)
    let keys = Set(configs.flatMap(\.keys)).sorted()
    var rows = ""
    var differing = 0
    let fields: [(String, (RunRecord) -> String)] = [
      ("status", { $0.status.rawValue }), ("label", { $0.label }), ("seed", { String($0.seed) }),
      ("N", { HTML.number($0.N) }), ("D", { HTML.number($0.D) }), ("C", { HTML.number($0.C) }),
      ("final train loss", { HTML.number($0.finalTrainLoss) }), ("final val loss", { HTML.number($0.finalValLoss) }),
      ("device", { $0.device ?? "-" }),
    ]
    for (name, value) in fields {
      let values = runs.map(value)
      rows +=
        "<tr class=\"\(Set(values).count > 1 ? "differs" : "")\"><th>\(HTML.text(name))</th>"
        + values.map { "<td>\(HTML.text($0))</td>" }.joined() + "</tr>"
    }
    for key in keys {
      let values = configs.map { $0[key].map(Self.describe) ?? "—" }
      let differs = Set(values).count > 1
      if differs { differing += 1 }
      if onlyDifferences && !differs { continue }
      rows +=
        "<tr class=\"\(differs ? "differs" : "")\"><th>\(HTML.text(key))</th>"
        + values.map { "<td>\(HTML.text($0))</td>" }.joined() + "</tr>"
    }
    var curves: [Int64: [String: [CurvePoint]]] = [:]
    for run in runs { curves[run.id!] = try view.curves(run, version: version) }
    let names = Set(curves.values.flatMap { $0.filter { $0.value.count > 1 }.keys }).sorted()
    let plots = names.map { Figures.curves(metric: $0, runs: runs, curves: curves) }
    let header = runs.map { "<th><a href=\"\(HTML.runPath($0))\"><code>\(HTML.text($0.key))</code></a></th>" }.joined()
    let query = runs.map { "run=\(HTML.component($0.key))" }.joined(separator: "&")
    let main = """
      <h1>Compare \(runs.count) runs</h1>
      <p>\(differing) of \(keys.count) config keys differ (highlighted). \
      \(onlyDifferences ? "<a href=\"/compare?\(HTML.text(query))\">show every key</a>" : "<a href=\"/compare?\(HTML.text(query))&amp;only=differences\">show only differences</a>")</p>
      <table><thead><tr><th></th>\(header)</tr></thead><tbody>\(rows)</tbody></table>
      \(plots.isEmpty ? "" : "<h2>Curves</h2><div class=\"figures\">\(plots.joined())</div>")
      """
    if fragment { return main }
    return HTML.page(
      title: "compare", breadcrumbs: [("experiments", "/"), ("compare", nil)], main: main,
      live: "/compare?\(query)\(onlyDifferences ? "&only=differences" : "")&fragment=main")
  }
}
