import Foundation
import WorkbenchErrors

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive lock on a file (`flock`), for work that several processes — parallel `workbench
/// run`s, Slurm array tasks on the nodes of one shared file system — must do once: the first
/// takes the lock and does it, the others wait and then find it done.
public enum FileLock {
  /// Runs `body` while holding the lock on `url` (created if missing). Waiting polls every
  /// `interval` seconds and calls `check` between polls, so a waiting run can still be cancelled.
  /// - Throws: `FileLockError` when the lock file cannot be opened or locked; what `check` or
  ///   `body` throw.
  public static func withLock<T>(
    at url: URL, interval: TimeInterval = 0.2, check: () throws -> Void = {}, _ body: () throws -> T
  ) throws -> T {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw FileLockError(.cannotOpen, "cannot open the lock file \(url.path): \(String(cString: strerror(errno)))")
    }
    defer { close(descriptor) }
    while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
      guard errno == EWOULDBLOCK || errno == EINTR else {
        throw FileLockError(.cannotLock, "cannot lock \(url.path): \(String(cString: strerror(errno)))")
      }
      try check()
      usleep(useconds_t(interval * 1_000_000))
    }
    defer { flock(descriptor, LOCK_UN) }
    return try body()
  }
}

/// A lock file that cannot be used; the message names it and why.
public typealias FileLockError = CodedError<FileLockErrorCode>

/// `cannotOpen`: the lock file cannot be created or opened; `cannotLock`: locking it failed.
public enum FileLockErrorCode: String, ErrorCodes { case cannotOpen, cannotLock }
