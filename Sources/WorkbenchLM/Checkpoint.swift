internal import CWorkbenchKernels
import Foundation
import Synchronization
import WorkbenchErrors
import WorkbenchFiles
import WorkbenchTensor

/// Everything a training run needs to continue bit-for-bit: the parameters, AdamW's moments and
/// step, the batch sampler's state and the step reached, in one file written atomically.
///
/// Layout: the line `workbench-checkpoint 2`, a little-endian UInt32 header length, the JSON
/// header, the arena's values, first moments and second moments as little-endian float32, and a
/// little-endian checksum of every byte before it (`wb_checksum`: CRC-32C per 64 KiB block, then of
/// the block CRCs), checked before anything else is read: a flipped
/// bit, a patched range or a cut copy is an error naming the file, never weights loaded in
/// silence. Version 1 files (no CRC) still load, with a one-line notice.
///
/// Outside this module a checkpoint is written whole, never from a header made by hand:
/// `Trainer.saveCheckpoint(to:)` for a run to resume, `Checkpoint.writeFinished` for a trained model.
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

  public static let magic = Data("workbench-checkpoint 2\n".utf8)
  /// The first version, without a checksum.
  public static let magicVersion1 = Data("workbench-checkpoint 1\n".utf8)

  /// Writes a model trained to the end, which no run resumes (no sampler state): its weights and
  /// AdamW's state after `steps` steps of `batch` windows of its context.
  public static func writeFinished(_ model: GPT, steps: Int, batch: Int, to url: URL) throws {
    try Checkpoint(
      model: model.config, step: steps, adamStep: model.arena.step, samplerState: 0,
      tokens: steps * batch * model.config.context, arenaCount: model.arena.count
    ).write(model, to: url)
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
    var crc = Self.checksum(data[...]).littleEndian
    data.append(Data(bytes: &crc, count: 4))
    try data.writeAtomically(to: url)
  }

  /// Reads the header of a checkpoint file and loads its arena into `gpt` (when given).
  /// - Throws: `CheckpointError` naming the file when it is not a checkpoint, is damaged (its
  ///   checksum does not match its bytes) or does not fit the model.
  public static func read(from url: URL, into gpt: GPT? = nil) throws -> Checkpoint {
    try read(try bytes(of: url), from: url, into: gpt)
  }

  /// The bytes of the checkpoint file at `url`.
  static func bytes(of url: URL) throws -> Data {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw CheckpointError(.unreadable, "cannot read checkpoint \(url.path)")
    }
    return data
  }

  /// Reopens the model a checkpoint holds: a GPT of the stored shape on `backend`, with the stored
  /// weights and optimiser state. The one way a finished run's model comes back (`generate`,
  /// prompt-sensitivity probes of an instruction-tuning run).
  /// - Parameter shape: the shape the caller needs, when it needs one; a checkpoint of another
  ///   shape is a `CheckpointError` naming both.
  public static func loadModel(
    from url: URL, on backend: any Backend, expecting shape: GPTConfig? = nil
  ) throws -> (model: GPT, checkpoint: Checkpoint) {
    try CheckpointFile(url, expecting: shape).model(on: backend)
  }

  /// `read(from:into:)` of a file's bytes already in memory (`url` names it in errors).
  public static func read(_ data: Data, from url: URL, into gpt: GPT?) throws -> Checkpoint {
    try read(data, from: url, into: gpt, verified: false)
  }

  /// - Parameter verified: the checksum was checked already (by `CheckpointFile`): not again.
  static func read(_ data: Data, from url: URL, into gpt: GPT?, verified: Bool) throws -> Checkpoint {
    let checksummed = data.starts(with: magic)
    guard checksummed || data.starts(with: magicVersion1) else {
      throw CheckpointError(.damaged, "\(url.path) is not a workbench checkpoint (or its first line is damaged)")
    }
    let trailer = checksummed ? 4 : 0
    guard data.count >= magic.count + 4 + trailer else {
      throw CheckpointError(.damaged, "checkpoint \(url.path) is truncated")
    }
    let end = data.endIndex - trailer
    if checksummed && !verified {
      let stored = data[end...].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian
      guard checksum(data[..<end]) == stored else {
        throw CheckpointError(
          .damaged, "checkpoint \(url.path) is damaged: its bytes no longer match the checksum written with them")
      }
    } else if !checksummed {
      Self.noticeUnverified(url)
    }
    let lengthStart = data.startIndex + magic.count
    let length = Int(
      data[lengthStart..<(lengthStart + 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }.littleEndian)
    let headerStart = lengthStart + 4
    guard end - headerStart >= length else {
      throw CheckpointError(.damaged, "checkpoint \(url.path) is truncated")
    }
    let header: Checkpoint
    do {
      header = try JSONDecoder().decode(Checkpoint.self, from: data[headerStart..<(headerStart + length)])
    } catch {
      throw CheckpointError(.damaged, "checkpoint \(url.path) has an unreadable header")
    }
    let payload = headerStart + length
    guard header.arenaCount >= 0, header.arenaCount <= (end - payload) / 12, end - payload == 3 * header.arenaCount * 4
    else {
      throw CheckpointError(.damaged, "checkpoint \(url.path) is truncated or has extra bytes")
    }
    if let gpt {
      guard gpt.config == header.model, gpt.arena.count == header.arenaCount else {
        throw CheckpointError(.otherModel, "checkpoint \(url.path) holds another model shape (\(header.model))")
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

  /// Moves a damaged checkpoint out of the way, to `<name>.damaged` beside it (replacing an older
  /// one), so that the run it belonged to starts over instead of failing on it again; the bytes are
  /// kept for inspection. Returns the new place.
  @discardableResult
  public static func setAside(_ url: URL) -> URL {
    let kept = url.appendingPathExtension("damaged")
    _ = rename(url.path, kept.path)
    return kept
  }

  /// Runs `read`, which reads the checkpoint at `url`. Bytes that are not the ones written are
  /// never used: a damaged file is set aside (`setAside`) and the error says where it went, then
  /// `advice` (what running the experiment again does).
  public static func settingAsideIfDamaged<T>(_ url: URL, advice: String, _ read: () throws -> T) throws -> T {
    do {
      return try read()
    } catch let error as CheckpointError where error.damaged {
      let kept = setAside(url)
      throw CheckpointError(.damaged, "\(error.description); set aside as \(kept.lastPathComponent): \(advice)")
    }
  }

  /// The checksum of `bytes` (CRC-32C of each 64 KiB block, then of the block CRCs).
  public static func checksum(_ bytes: Data.SubSequence) -> UInt32 {
    bytes.withUnsafeBytes { wb_checksum($0.baseAddress, $0.count) }
  }

  /// Files already announced as loaded without a checksum (once per file and process).
  private static let announced = Mutex<Set<String>>([])

  private static func noticeUnverified(_ url: URL) {
    guard announced.withLock({ $0.insert(url.path).inserted }) else { return }
    FileHandle.standardError.write(
      Data(
        ("notice: checkpoint \(url.path) was written by an older workbench without a checksum; "
          + "loaded unverified (it gains one when next written)\n").utf8))
  }
}

/// A checkpoint file that cannot be used.
public typealias CheckpointError = CodedError<CheckpointErrorCode>

/// `unreadable`: the file cannot be read; `damaged`: its bytes are not what was written (a
/// checksum mismatch, a cut or a damaged header); `otherModel`: a readable checkpoint of a model
/// of another shape.
public enum CheckpointErrorCode: String, ErrorCodes { case unreadable, damaged, otherModel }

extension CheckpointError {
  /// Whether the file's bytes are not what was written (`code == .damaged`).
  public var damaged: Bool { code == .damaged }
}

/// A checkpoint file read and verified (checksum, header, shape), its model not built yet: lets a
/// caller report a file that cannot be used before it selects a device.
public struct CheckpointFile: Sendable {
  public let url: URL
  public let header: Checkpoint
  private let bytes: Data

  /// Reads and verifies `url`; `shape`, when given, is the shape the caller needs.
  public init(_ url: URL, expecting shape: GPTConfig? = nil) throws {
    let data = try Checkpoint.bytes(of: url)
    let header = try Checkpoint.read(data, from: url, into: nil)
    if let shape, header.model != shape {
      throw CheckpointError(
        .otherModel, "checkpoint \(url.path) holds a model of shape \(header.model); this run needs \(shape)")
    }
    self.url = url
    self.header = header
    self.bytes = data
  }

  /// A GPT of the stored shape on `backend`, with the stored weights and optimiser state.
  public func model(on backend: any Backend) throws -> (model: GPT, checkpoint: Checkpoint) {
    let model = GPT(header.model, on: backend, seed: 0)
    _ = try Checkpoint.read(bytes, from: url, into: model, verified: true)
    return (model, header)
  }
}
