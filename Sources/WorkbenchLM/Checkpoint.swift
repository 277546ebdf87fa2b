import Foundation
import WorkbenchTensor

/// Everything a training run needs to continue bit-for-bit: the parameters, AdamW's moments and
/// step, the batch sampler's state and the step reached, in one file written atomically.
///
/// Layout: the line `workbench-checkpoint 1`, a little-endian UInt32 header length, the JSON
/// header, then the arena's values, first moments and second moments as little-endian float32.
public struct Checkpoint: Codable, Sendable, Equatable {
  public var model: GPTConfig
  /// Optimizer steps taken (the next step to run).
  public var step: Int
  public var adamStep: Int
  public var samplerState: UInt64
  /// Training tokens consumed so far.
  public var tokens: Int
  public var arenaCount: Int
  /// The training losses summed since the last logged mean, and how many steps they are (absent in
  /// checkpoints taken at a logging step, and in older files): a run resumed between two logging
  /// steps logs the same mean as one that never stopped.
  public var windowLossSum: Float?
  public var windowSteps: Int?

  static let magic = Data("workbench-checkpoint 1\n".utf8)

  public init(
    model: GPTConfig, step: Int, adamStep: Int, samplerState: UInt64, tokens: Int, arenaCount: Int,
    windowLossSum: Float? = nil, windowSteps: Int? = nil
  ) {
    self.windowLossSum = windowLossSum
    self.windowSteps = windowSteps
    self.model = model
    self.step = step
    self.adamStep = adamStep
    self.samplerState = samplerState
    self.tokens = tokens
    self.arenaCount = arenaCount
  }

  /// Writes `model`'s arena and this header to `url` (temporary file, then rename).
  public func write(_ gpt: GPT, to url: URL) throws {
    var data = Self.magic
    let header = try JSONEncoder().encode(self)
    var length = UInt32(header.count).littleEndian
    data.append(Data(bytes: &length, count: 4))
    data.append(header)
    for tensor in [gpt.arena.values, gpt.arena.moments.m, gpt.arena.moments.v] {
      tensor.toArray().withUnsafeBytes { data.append(contentsOf: $0) }
    }
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    try data.write(to: temporary)
    guard rename(temporary.path, url.path) == 0 else {
      try? FileManager.default.removeItem(at: temporary)
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
    }
  }

  /// Reads the header of a checkpoint file and loads its arena into `gpt` (when given).
  /// - Throws: `CorpusError`-style `CheckpointError` naming the file when it is not a checkpoint
  ///   or does not fit the model.
  public static func read(from url: URL, into gpt: GPT? = nil) throws -> Checkpoint {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw CheckpointError("cannot read checkpoint \(url.path)")
    }
    guard data.starts(with: magic), data.count >= magic.count + 4 else {
      throw CheckpointError("\(url.path) is not a workbench checkpoint")
    }
    let lengthStart = data.startIndex + magic.count
    let length = Int(
      data[lengthStart..<(lengthStart + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian)
    let headerStart = lengthStart + 4
    guard data.count >= magic.count + 4 + length else { throw CheckpointError("checkpoint \(url.path) is truncated") }
    let header = try JSONDecoder().decode(Checkpoint.self, from: data[headerStart..<(headerStart + length)])
    let payload = headerStart + length
    guard data.count == magic.count + 4 + length + 3 * header.arenaCount * 4 else {
      throw CheckpointError("checkpoint \(url.path) is truncated or has extra bytes")
    }
    if let gpt {
      guard gpt.config == header.model, gpt.arena.count == header.arenaCount else {
        throw CheckpointError("checkpoint \(url.path) holds another model shape (\(header.model))")
      }
      let tensors = [gpt.arena.values, gpt.arena.moments.m, gpt.arena.moments.v]
      for (i, tensor) in tensors.enumerated() {
        let start = payload + i * header.arenaCount * 4
        data[start..<(start + header.arenaCount * 4)].withUnsafeBytes {
          tensor.backend.write($0, to: tensor.view, elementSize: 4)
        }
      }
      gpt.arena.restoreStep(header.adamStep)
    }
    return header
  }
}

/// A checkpoint file that cannot be used.
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
