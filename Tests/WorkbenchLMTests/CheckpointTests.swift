import CWorkbenchKernels
import Foundation
import Testing
import WorkbenchTensor
import WorkbenchTestSupport

@testable import WorkbenchLM

/// Checkpoints carry a CRC-32 of their bytes: any damaged range is an error naming the file; files
/// of the first version (no checksum) still load.
@Suite struct CheckpointTests {
  let folder = TemporaryDirectory()
  let shape = GPTConfig(layers: 2, width: 32, heads: 4, context: 32)

  /// A model with distinct weights and moments, written to `name`.
  func written(_ name: String) throws -> (URL, GPT) {
    let model = GPT(shape, on: CPUBackend.shared, seed: 5)
    model.arena.moments.m.assign((0..<model.arena.count).map { Float($0 % 97) * 1e-3 })
    model.arena.moments.v.assign((0..<model.arena.count).map { Float($0 % 89) * 1e-4 })
    let url = folder.url.appendingPathComponent(name)
    try Checkpoint(
      model: shape, step: 12, adamStep: 12, samplerState: 99, tokens: 3072, arenaCount: model.arena.count
    ).write(model, to: url)
    return (url, model)
  }

  @Test func theChecksumIsCRC32CPerBlockThenOfTheBlockCRCs() {
    // CRC-32C's check value (RFC 3720): "123456789" → 0xE3069283, by instruction and by table.
    let check = Array("123456789".utf8)
    #expect(wb_crc32c(0, check, check.count) == 0xE306_9283)
    #expect(wb_crc32c_portable(0, check, check.count) == 0xE306_9283)
    // Continuing a CRC over a second part equals the CRC of the whole.
    #expect(wb_crc32c(wb_crc32c(0, check, 4), Array(check[4...]), 5) == 0xE306_9283)
    // Sizes around the 64 KiB block and the four-block group: the checksum is the CRC-32C of the
    // little-endian block CRCs, computed here from the definition with the table alone.
    var g = UInt64(12345)
    let bytes = (0..<(9 * 65536 + 123)).map { _ -> UInt8 in
      g = g &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: g >> 33)
    }
    for n in [0, 1, 65535, 65536, 65537, 4 * 65536, 4 * 65536 + 7, 9 * 65536 + 123] {
      var words: [UInt8] = []
      for start in stride(from: 0, to: n, by: 65536) {
        let block = Array(bytes[start..<min(n, start + 65536)])
        let crc = wb_crc32c_portable(0, block, block.count)
        words += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
      }
      #expect(wb_checksum(bytes, n) == wb_crc32c_portable(0, words, words.count), "\(n) bytes")
    }
  }

  @Test func damageAnywhereIsDetectedOnLoad() throws {
    let (url, _) = try written("intact.bin")
    let intact = try Data(contentsOf: url)
    let header = try Checkpoint.read(from: url)
    let headerEnd = Checkpoint.magic.count + 4 + (try JSONEncoder().encode(header)).count
    let section = header.arenaCount * 4
    // The magic line, the header length, the JSON header, weights, first and second moments, the CRC.
    let offsets = [
      0, Checkpoint.magic.count, headerEnd - 40, headerEnd + section / 2, headerEnd + section + 100,
      headerEnd + 2 * section + section / 3, intact.count - 64,
    ]
    for offset in offsets {
      var damaged = intact
      for i in offset..<(offset + 64) { damaged[i] = damaged[i] ^ 0x5A }
      let copy = folder.url.appendingPathComponent("damaged-\(offset).bin")
      try damaged.write(to: copy)
      let model = GPT(shape, on: CPUBackend.shared, seed: 1)
      do {
        _ = try Checkpoint.read(from: copy, into: model)
        Issue.record("64 bytes damaged at \(offset) loaded silently")
      } catch let error as CheckpointError {
        #expect(error.damaged, "offset \(offset): \(error)")
        #expect(error.description.contains(copy.path))
      }
    }
    // A copy cut short, and one with bytes added.
    for bytes in [intact.prefix(intact.count - 1000), intact + Data(repeating: 0, count: 16)] {
      let copy = folder.url.appendingPathComponent("resized.bin")
      try Data(bytes).write(to: copy)
      #expect(throws: CheckpointError.self) { try Checkpoint.read(from: copy) }
    }
  }

  @Test func aFileOfTheFirstVersionLoadsWithoutAChecksum() throws {
    let (url, model) = try written("current.bin")
    let current = try Data(contentsOf: url)
    // Version 1: the same bytes under the first magic line, and no CRC after them.
    let old = Checkpoint.magicVersion1 + current.dropFirst(Checkpoint.magic.count).dropLast(4)
    let oldURL = folder.url.appendingPathComponent("old.bin")
    try old.write(to: oldURL)
    let loaded = GPT(shape, on: CPUBackend.shared, seed: 1)
    let header = try Checkpoint.read(from: oldURL, into: loaded)
    #expect(header.step == 12 && header.samplerState == 99)
    #expect(loaded.arena.values.toArray() == model.arena.values.toArray())
    #expect(loaded.arena.moments.v.toArray() == model.arena.moments.v.toArray())
  }

  @Test func aDamagedCheckpointIsSetAsideWithItsBytes() throws {
    let (url, _) = try written("run.bin")
    let bytes = try Data(contentsOf: url)
    let kept = Checkpoint.setAside(url)
    #expect(!FileManager.default.fileExists(atPath: url.path))
    #expect(try Data(contentsOf: kept) == bytes)
    #expect(kept.lastPathComponent == "run.bin.damaged")
  }
}
