import Foundation
import Testing
import WorkbenchKit
import WorkbenchTestSupport

/// Every error type takes the one shape (`WorkbenchError`: a closed code and one line for the
/// user): a type declared as a plain `Error` anywhere in workbench's sources, plugins or examples
/// fails here.
@Suite struct ErrorShapeTests {
  @Test func everyErrorTypeIsAWorkbenchError() throws {
    // A type declaration (any modifiers, generics) or an extension, with what it conforms to.
    let declaration = try Regex(
      #"(?m)^\s*(?:@\w+\s+)*(?:(?:public|package|internal|private|fileprivate|open|final|indirect)\s+)*(?:struct|enum|class|actor|extension)\s+([\w.]+)(?:<.*?>)?\s*:\s*([^{]*)\{"#
    )
    let coded = try Regex(#"(?m)^\s*(?:public )?typealias (\w+) = CodedError<\w+>"#)
    // Conforming to any of these makes an error type that is not a WorkbenchError.
    let errorProtocols: Set<String> = ["Error", "Swift.Error", "LocalizedError", "CustomNSError"]
    var errors: [String] = []
    var plain: [String] = []
    for folder in ["Sources", "plugins", "examples"] {
      let root = packageRoot.appendingPathComponent(folder)
      let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
      for file in files where file.hasSuffix(".swift") && !file.contains(".build") {
        let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
        for match in text.matches(of: declaration) {
          let name = String(match.output[1].substring ?? "")
          let clause = String(match.output[2].substring ?? "")
          let conformances = (clause.components(separatedBy: " where ").first ?? clause)
            .split(whereSeparator: { $0 == "," || $0 == "&" }).map {
              $0.trimmingCharacters(in: .whitespacesAndNewlines)
            }
          if conformances.contains("WorkbenchError") { errors.append(name) }
          if !errorProtocols.isDisjoint(with: conformances) { plain.append("\(folder)/\(file): \(name)") }
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
