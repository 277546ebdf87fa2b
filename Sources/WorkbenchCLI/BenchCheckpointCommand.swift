import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchLM
import WorkbenchTensor

struct BenchCheckpointCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "checkpoint",
    abstract: "What verifying a checkpoint's checksum costs beside loading it, for GPTs of several sizes.",
    discussion: """
      Writes a checkpoint (weights and AdamW moments) of each shape into --folder, then times reading
      its bytes, the checksum (CRC-32C per 64 KiB block) alone and a whole load (read, check, parse, copy into the model);
      medians of --repeats, with the file in the page cache (the check's largest share of a load).
      """)

  @Option(help: "Where the checkpoints are written (and removed).") var folder = "."
  @Option(help: "Timings per measurement (the median is reported).") var repeats = 5

  func run() throws {
    let shapes = [
      GPTConfig(layers: 4, width: 128, heads: 4, context: 128),
      GPTConfig(layers: 8, width: 256, heads: 8, context: 256),
      GPTConfig(layers: 12, width: 512, heads: 8, context: 512),
    ]
    var table = TextTable(["MODEL", "PARAMETERS", "FILE", "WRITE", "READ", "CHECKSUM", "LOAD", "CHECK SHARE"])
    for shape in shapes {
      let r = try CheckpointBenchmark(model: shape, repeats: repeats)
        .run(in: URL(fileURLWithPath: folder), on: CPUBackend.shared)
      table.append([
        "\(shape.layers)L d\(shape.width)", "\(r.parameters)", String(format: "%.1f MB", Double(r.bytes) / 1e6),
        ms(r.writeSeconds), ms(r.readSeconds), ms(r.verifySeconds), ms(r.loadSeconds),
        String(format: "%.1f%%", 100 * r.verifyShare),
      ])
    }
    emit(table.render())
  }

  private func ms(_ seconds: Double) -> String { String(format: "%.1f ms", seconds * 1000) }
}
