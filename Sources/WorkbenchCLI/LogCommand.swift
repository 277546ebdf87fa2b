import ArgumentParser
import WorkbenchKit
import WorkbenchRunLog

struct LogCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "log", abstract: "Work with log files.", subcommands: [MergeCommand.self])

  struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "merge",
      abstract: "Import the runs of other log files (shards from other machines) into this log.",
      discussion: """
        Idempotent by run key: a run is imported once with its metrics and artifacts, and a finished
        run already in this log is never replaced. The shards are only read.
        """)

    @Argument(help: "Log files to import.", completion: .file())
    var files: [String]

    @OptionGroup var log: LogOptions

    func validate() throws {
      if files.isEmpty { throw ValidationError("name at least one log file to merge") }
    }

    func run() throws {
      let runLog = try RunLog(path: log.path)
      var total = MergeReport()
      for file in files {
        let report = try runLog.merge(from: file, isAlive: ProcessIdentity.isAlive)
        emit(
          "\(file): \(report.imported) imported, \(report.updated) updated, \(report.skipped) already here or unfinished"
        )
        total += report
      }
      if files.count > 1 {
        emit(
          "total: \(total.imported) imported, \(total.updated) updated, \(total.skipped) skipped into \(runLog.path)")
      }
    }
  }
}
