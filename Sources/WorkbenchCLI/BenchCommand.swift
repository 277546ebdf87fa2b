import ArgumentParser
import Foundation
import WorkbenchKit

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Benchmarks that print a table.",
    subcommands: [
      BenchTrainCommand.self, BenchOpsCommand.self, BenchMatmulCommand.self, LogBench.self, BenchCheckpointCommand.self,
      BenchServeCommand.self,
    ])

  struct LogBench: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "log",
      abstract: "What the run log costs a training loop: metric logging, flushes, heartbeats, claims.",
      discussion: "Writes a temporary log in the working directory (or --folder) and removes it.")

    @Option(help: "Metric points to log.")
    var points = 200_000

    @Option(help: "Runs to claim and end.")
    var runs = 200

    @Option(help: "Folder for the temporary log (its disk is what is measured).")
    var folder = "."

    func validate() throws {
      guard points > 0, runs > 0 else { throw ValidationError("--points and --runs must be positive") }
    }

    func run() throws {
      let rows = try LoggingBenchmark.run(points: points, runs: runs, folder: URL(fileURLWithPath: folder))
      var table = TextTable(["OPERATION", "COUNT", "TOTAL (s)", "PER OP (µs)"])
      for row in rows {
        table.append([
          row.name, String(row.count), String(format: "%.3f", row.seconds), String(format: "%.2f", row.microseconds),
        ])
      }
      emit(table.render())
    }
  }
}
