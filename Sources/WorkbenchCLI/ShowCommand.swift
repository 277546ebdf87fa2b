import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchRunLog

struct ShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show", abstract: "Show one run: its config, status, summary, metrics and artifacts.")

  @Argument(help: "The run: its key, a unique prefix of the key, or its id.")
  var reference: String

  @Flag(help: "Print JSON, with every metric point.")
  var json = false

  @OptionGroup var log: LogOptions

  func run() throws {
    let runLog = try RunLog(path: log.path, readOnly: true)
    guard let record = try runLog.run(matching: reference) else {
      throw CommandError("no run '\(reference)' in \(runLog.path); `workbench runs` lists the keys")
    }
    let experiment = try runLog.experiments().first { $0.id == record.experimentID }?.name ?? "?"
    if json {
      let metrics = MetricJSON.grouped(try runLog.metrics(runID: record.id!))
      emit(try RunJSON.encode(RunJSON(record, experiment: experiment, metrics: metrics)))
      return
    }
    emit("run \(record.key)  (\(experiment), \(record.plugin) \(record.pluginVersion), seed \(record.seed))")
    if !record.label.isEmpty { emit("label:    \(record.label)") }
    emit("status:   \(record.status.rawValue) after \(record.attempts) attempt(s)")
    if let error = record.error { emit("error:    \(error)") }
    emit(
      "device:   \(record.device ?? "-")   host: \(record.host ?? "-")   workbench \(record.workbenchVersion ?? "-")")
    if let revision = record.gitRevision { emit("git:      \(revision)") }
    let dates = [("created", record.createdAt), ("started", record.startedAt), ("finished", record.finishedAt)]
      .compactMap { name, date in date.map { "\(name) \(Self.timestamp($0))" } }
    emit(
      "time:     " + dates.joined(separator: ", ")
        + (record.durationSeconds.map { String(format: " (%.2f s)", $0) } ?? ""))
    emit(
      "summary:  N \(format(record.N))  N_total \(format(record.NTotal))  D \(format(record.D))  C \(format(record.C))  "
        + "train \(format(record.finalTrainLoss))  val \(format(record.finalValLoss))")
    emit("config:")
    for line in Self.prettyJSON(record.config).split(separator: "\n") { emit("  \(line)") }
    let summaries = try runLog.metricSummaries(runID: record.id!)
    if !summaries.isEmpty {
      var table = TextTable(["METRIC", "POINTS", "STEPS", "LAST", "MIN", "MAX"])
      for m in summaries {
        table.append([
          m.name, String(m.count), "\(m.firstStep)–\(m.lastStep)", format(m.last), format(m.min), format(m.max),
        ])
      }
      emit(table.render())
    }
    let artifacts = try runLog.artifacts(runID: record.id!)
    if !artifacts.isEmpty {
      var table = TextTable(["ARTIFACT", "KIND", "BYTES", "SHA256"])
      for a in artifacts { table.append([a.path, a.kind, String(a.bytes), String(a.sha256.prefix(16))]) }
      emit(table.render())
    }
  }

  static func timestamp(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
  }

  static func prettyJSON(_ text: String) -> String {
    guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)),
      let pretty = try? RunJSON.encode(value)
    else { return text }
    return pretty
  }
}
