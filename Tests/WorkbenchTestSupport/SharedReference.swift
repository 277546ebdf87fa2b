import Foundation

/// `../shared/reference/` beside the package: data and fixtures the tests compare against.
/// Tests that need it are skipped, with a message saying so, where it is absent; CI always has it.
public enum SharedReference {
  public static let root = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference")

  public static var available: Bool { FileManager.default.fileExists(atPath: root.path) }

  /// The contents of a file under the reference folder.
  public static func data(_ path: String) throws -> Data {
    try Data(contentsOf: root.appendingPathComponent(path))
  }

  /// A little-endian float32 file.
  public static func floats(_ path: String) throws -> [Float] {
    let data = try data(path)
    return data.withUnsafeBytes { raw in
      (0..<(data.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
    }
  }

  /// A little-endian int32 file.
  public static func int32s(_ path: String) throws -> [Int32] {
    let data = try data(path)
    return data.withUnsafeBytes { raw in
      (0..<(data.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) }
    }
  }

  /// Numbers, one per line.
  public static func numbers(_ path: String) throws -> [Double] {
    String(decoding: try data(path), as: UTF8.self).split(whereSeparator: \.isNewline).compactMap { Double($0) }
  }
}
