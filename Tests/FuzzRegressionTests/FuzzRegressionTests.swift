import Foundation
import Testing
import WorkbenchFuzzing

/// Every input in `Tests/FuzzRegressions/<target>/` — hostile inputs written by hand, and each
/// input a fuzzing run (`scripts/fuzz`) found to crash or hang a reader — is fed to its reader
/// again: it must come back (a value or a thrown error), in bounded time.
@Suite struct FuzzRegressionTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("FuzzRegressions")

  static let inputs: [String] = FuzzTarget.allCases.flatMap { target in
    let directory = folder.appendingPathComponent(target.rawValue)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return names.sorted().map { "\(target.rawValue)/\($0)" }
  }

  @Test func everyTargetHasRegressionInputs() {
    for target in FuzzTarget.allCases {
      #expect(Self.inputs.contains { $0.hasPrefix(target.rawValue + "/") }, "no inputs for \(target.rawValue)")
    }
  }

  @Test(arguments: inputs)
  func readersReturnOnInputsThatOnceBrokeThem(_ input: String) throws {
    let target = try #require(FuzzTarget(rawValue: String(input.prefix { $0 != "/" })))
    let data = try Data(contentsOf: Self.folder.appendingPathComponent(input))
    let start = Date()
    target.run(data)
    // A bound against a hang or runaway expansion (these take minutes), not a speed claim.
    #expect(Date().timeIntervalSince(start) < 30)
  }
}
