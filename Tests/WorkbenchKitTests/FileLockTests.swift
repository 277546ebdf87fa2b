import Foundation
import Synchronization
import Testing
import WorkbenchKit
import WorkbenchTestSupport

@Suite struct FileLockTests {
  let folder = TemporaryDirectory()

  /// Two holders never overlap: the second waits until the first made the file, then finds it.
  @Test func theSecondHolderWaitsAndFindsTheWorkDone() throws {
    let lock = folder.url.appendingPathComponent("base.bin.lock")
    let product = folder.url.appendingPathComponent("base.bin")
    let made = Atomic<Int>(0)
    let inside = Atomic<Int>(0)
    let overlapped = Atomic<Bool>(false)
    DispatchQueue.concurrentPerform(iterations: 4) { _ in
      try? FileLock.withLock(at: lock, interval: 0.01) {
        if inside.add(1, ordering: .sequentiallyConsistent).newValue > 1 { overlapped.store(true, ordering: .relaxed) }
        defer { inside.subtract(1, ordering: .sequentiallyConsistent) }
        guard !FileManager.default.fileExists(atPath: product.path) else { return }
        usleep(200_000)
        try Data("weights".utf8).write(to: product)
        made.add(1, ordering: .relaxed)
      }
    }
    let madeCount = made.load(ordering: .relaxed)
    let overlap = overlapped.load(ordering: .relaxed)
    #expect(madeCount == 1)
    #expect(!overlap)
  }

  /// A waiter whose check throws (a cancelled run) stops waiting with that error.
  @Test func aWaiterCanBeCancelled() throws {
    let lock = folder.url.appendingPathComponent("x.lock")
    struct Stop: Error {}
    try FileLock.withLock(at: lock) {
      let started = Date()
      var checks = 0
      #expect(throws: Stop.self) {
        try FileLock.withLock(
          at: lock, interval: 0.01,
          check: {
            checks += 1; if checks == 3 { throw Stop() }
          }
        ) {
          Issue.record("the lock was taken twice")
        }
      }
      #expect(checks == 3)
      #expect(Date().timeIntervalSince(started) < 5)
    }
  }
}
