import Foundation
import WorkbenchLM
import WorkbenchTensor

/// Seed inputs that only Swift can make (the rest `scripts/fuzz` takes from the repository).
public enum FuzzSeeds {
  /// Writes `checkpoint/` seeds into `folder`: a checkpoint of the fuzz model's shape, and the
  /// same bytes as the checkpoint target's version-1 path reads them (after its magic line).
  public static func write(to folder: URL) throws {
    let directory = folder.appendingPathComponent(FuzzTarget.checkpoint.rawValue)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let model = GPT(FuzzTarget.seedShape, on: CPUBackend.shared, seed: 1)
    let url = directory.appendingPathComponent("current.bin")
    try Checkpoint.writeFinished(model, steps: 3, batch: 1, to: url)
    let bytes = try Data(contentsOf: url)
    try bytes.dropFirst(Checkpoint.magic.count).dropLast(4).write(to: directory.appendingPathComponent("version1.bin"))
    // A tokenizer file.
    let bpe = folder.appendingPathComponent(FuzzTarget.bpe.rawValue)
    try FileManager.default.createDirectory(at: bpe, withIntermediateDirectories: true)
    let tokenizer = BPETokenizer.train(
      texts: ["Definition: remove every a from the list.", "Input: a b c a", "Output: b c"], vocabulary: 280)
    try tokenizer.serialized().write(to: bpe.appendingPathComponent("tokenizer.bpe"))
  }
}
