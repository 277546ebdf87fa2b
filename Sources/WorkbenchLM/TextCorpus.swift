internal import CZlib
import Foundation

/// Bytes of text from files or globs, plain or gzip/dictzip (recognised by their magic bytes),
/// concatenated in the given order (a glob's matches sorted).
public struct TextCorpus: Sendable {
  /// The files read, in order.
  public let paths: [String]
  public let bytes: [UInt8]
  /// Whether the bytes are valid UTF-8 (byte-level models train on them either way).
  public let isValidUTF8: Bool

  /// The default real corpus: the GNU Collaborative International Dictionary of English
  /// (Debian package `dict-gcide`, ~40 MB of text).
  public static let gcidePath = "/usr/share/dictd/gcide.dict.dz"

  /// Reads every file `specs` name.
  /// - Throws: `CorpusError` naming the path when a file is missing, unreadable, or the corpus is empty.
  public init(specs: [String]) throws {
    guard !specs.isEmpty else { throw CorpusError(.badSpec, "no corpus files given") }
    var paths: [String] = []
    for spec in specs {
      let expanded = NSString(string: spec).expandingTildeInPath
      if expanded.contains(where: { "*?[".contains($0) }) {
        let matches = Self.glob(expanded)
        guard !matches.isEmpty else { throw CorpusError(.missing, "corpus \(spec): no file matches") }
        paths += matches
      } else {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: expanded, isDirectory: &isDirectory), !isDirectory.boolValue else {
          let hint =
            expanded == Self.gcidePath ? " (install it with: apt-get install dict-gcide, or scripts/setup)" : ""
          throw CorpusError(.missing, "corpus \(spec): no such file\(hint)")
        }
        paths.append(expanded)
      }
    }
    var bytes: [UInt8] = []
    for path in paths {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw CorpusError(.unreadable, "corpus \(path): cannot read it (permission denied?)")
      }
      if data.count >= 2 && data[data.startIndex] == 0x1f && data[data.startIndex + 1] == 0x8b {
        bytes += try Self.gunzip(data, path: path)
      } else {
        bytes += data
      }
    }
    guard !bytes.isEmpty else { throw CorpusError(.empty, "corpus \(paths.joined(separator: ", ")): it is empty") }
    self.paths = paths
    self.bytes = bytes
    isValidUTF8 = String(validating: bytes, as: UTF8.self) != nil
  }

  /// A corpus of given bytes (synthetic text, tests).
  public init(bytes: [UInt8], name: String) {
    paths = [name]
    self.bytes = bytes
    isValidUTF8 = String(validating: bytes, as: UTF8.self) != nil
  }

  static func glob(_ pattern: String) -> [String] {
    var result = glob_t()
    defer { globfree(&result) }
    guard Foundation.glob(pattern, 0, nil, &result) == 0 else { return [] }
    return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
      .filter { path in
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
      }.sorted()
  }

  /// Inflates gzip data, including concatenated members and dictzip's extra header field.
  static func gunzip(_ data: Data, path: String) throws -> [UInt8] {
    var output: [UInt8] = []
    var stream = z_stream()
    guard inflateInit2_(&stream, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw CorpusError(.unreadable, "corpus \(path): zlib could not start")
    }
    defer { inflateEnd(&stream) }
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    try data.withUnsafeBytes { (input: UnsafeRawBufferPointer) in
      let base = input.bindMemory(to: Bytef.self).baseAddress!
      stream.next_in = UnsafeMutablePointer(mutating: base)
      stream.avail_in = uInt(input.count)
      while true {
        let status = chunk.withUnsafeMutableBufferPointer { buffer -> Int32 in
          stream.next_out = buffer.baseAddress
          stream.avail_out = uInt(buffer.count)
          return inflate(&stream, Z_NO_FLUSH)
        }
        output += chunk[0..<(chunk.count - Int(stream.avail_out))]
        if status == Z_STREAM_END {
          if stream.avail_in == 0 { break }
          inflateReset(&stream)  // another gzip member follows
          continue
        }
        guard status == Z_OK else {
          throw CorpusError(.unreadable, "corpus \(path): not valid gzip data (zlib status \(status))")
        }
        if stream.avail_in == 0 && stream.avail_out != 0 {
          throw CorpusError(.unreadable, "corpus \(path): the gzip data ends early")
        }
      }
    }
    return output
  }
}
