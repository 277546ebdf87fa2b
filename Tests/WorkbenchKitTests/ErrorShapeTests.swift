import Foundation
import Testing
import WorkbenchKit
import WorkbenchTestSupport

/// Every error type takes the one shape (`WorkbenchError`: a closed code and one line for the
/// user): a type declared as a plain `Error` anywhere in workbench's sources, plugins or examples
/// fails here.
@Suite struct ErrorShapeTests {
  @Test func everyErrorTypeIsAWorkbenchError() throws {
    let declaration = try Regex(
      #"(?m)^\s*(?:public |internal |private |fileprivate )?(?:struct|enum|final class|class) (\w+)(?:<[^>]*>)?\s*:\s*([^{]*)\{"#
    )
    let coded = try Regex(#"(?m)^\s*(?:public )?typealias (\w+) = CodedError<\w+>"#)
    var errors: [String] = []
    var plain: [String] = []
    for folder in ["Sources", "plugins", "examples"] {
      let root = packageRoot.appendingPathComponent(folder)
      let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
      for file in files where file.hasSuffix(".swift") && !file.contains(".build") {
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        for match in text.matches(of: declaration) {
          let name = String(match.output[1].substring ?? "")
          let conformances = (match.output[2].substring ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
          }
          if conformances.contains("WorkbenchError") { errors.append(name) }
          if conformances.contains("Error") { plain.append("\(folder)/\(file): \(name)") }
        }
        for match in text.matches(of: coded) { errors.append(String(match.output[1].substring ?? "")) }
      }
    }
    #expect(plain.isEmpty, "declared as a plain Error, not a WorkbenchError: \(plain)")
    // The scan sees the error types it should (a broken pattern would pass everything).
    for known in ["ConfigError", "RunLogError", "VulkanError", "CheckpointError", "CPUOutOfMemory", "SNIError"] {
      #expect(errors.contains(known), "\(known) not found by the scan")
    }
  }

  /// The closed codes are what callers switch over: each error carries one of its own type's.
  @Test func codesAreClosedSetsWithStableNames() {
    #expect(ConfigError(.unknownKey, at: nil, "x").code.rawValue == "unknownKey")
    #expect(CommandError("x").code == .refused)
    #expect(
      GenerationError.Code.allCases.map(\.rawValue) == ["wrongOptions", "missingFile", "mismatch", "unreadableConfig"])
    #expect(ReusedRunError(.notFinished, "run is failed").description == "run is failed")
  }
}
