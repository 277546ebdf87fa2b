import Foundation

extension Data {
  /// Writes these bytes to `url` so that a reader sees the old content or the new, never part of
  /// either: a temporary file beside it (`.<name>.tmp-<pid>`), then `rename(2)`. Creates the
  /// folder when needed; on failure the temporary file is removed and `url` is left as it was.
  /// Every file workbench writes for others to read (checkpoints, artifacts, reports, Slurm
  /// manifests, tokenizers, exports) goes through here.
  public func writeAtomically(to url: URL) throws {
    let folder = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
    do {
      try write(to: temporary)
    } catch {
      try? FileManager.default.removeItem(at: temporary)
      throw error
    }
    if rename(temporary.path, url.path) != 0 {
      let code = errno
      try? FileManager.default.removeItem(at: temporary)
      throw CocoaError(
        .fileWriteUnknown,
        userInfo: [
          NSFilePathErrorKey: url.path, NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO),
        ])
    }
  }
}
