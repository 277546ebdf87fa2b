import Foundation
import WorkbenchTensor

/// `workbench bench checkpoint`: what the checksum costs. Writes a checkpoint of a GPT shape, then
/// times (median of `repeats`) reading its bytes, verifying its checksum alone, and the whole load
/// (read, verify, parse, copy into the model) — from the page cache, where reading is cheapest and
/// the checksum's share of a load is largest.
public struct CheckpointBenchmark: Sendable {
  public var model: GPTConfig
  public var repeats: Int

  public init(model: GPTConfig, repeats: Int) {
    self.model = model
    self.repeats = repeats
  }

  public struct Result: Codable, Sendable {
    public var parameters: Int
    public var bytes: Int
    public var writeSeconds: Double
    public var readSeconds: Double
    public var verifySeconds: Double
    public var loadSeconds: Double
    /// Verification's share of a whole load.
    public var verifyShare: Double { verifySeconds / loadSeconds }
  }

  public func run(in folder: URL, on backend: any Backend) throws -> Result {
    let gpt = GPT(model, on: backend, seed: 1)
    let url = folder.appendingPathComponent("bench-\(getpid()).ckpt")
    defer { try? FileManager.default.removeItem(at: url) }
    let header = Checkpoint(model: model, step: 1, adamStep: 1, samplerState: 0, tokens: 0, arenaCount: gpt.arena.count)
    func median(_ body: () throws -> Void) rethrows -> Double {
      var times: [Double] = []
      for _ in 0..<max(1, repeats) {
        let start = Date()
        try body()
        times.append(Date().timeIntervalSince(start))
      }
      return times.sorted()[times.count / 2]
    }
    let write = try median { try header.write(gpt, to: url) }
    var data = Data()
    let read = try median { data = try Data(contentsOf: url) }
    let verify = median { _ = Checkpoint.checksum(data.dropLast(4)) }
    let load = try median { _ = try Checkpoint.read(from: url, into: gpt) }
    return Result(
      parameters: gpt.arena.count, bytes: data.count, writeSeconds: write, readSeconds: read, verifySeconds: verify,
      loadSeconds: load)
  }
}
