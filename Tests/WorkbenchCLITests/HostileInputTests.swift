import Foundation
import Testing
import WorkbenchTestSupport

/// Files built to hurt cost one line and a non-zero exit, in bounded time and memory, and write
/// nothing: alias bombs (in lists, in mappings, in a sweep list, in an override's value), sweeps
/// of absurd size, nesting past the limit, an oversized file.
@Suite(.serialized) struct HostileInputTests {
  let folder = TemporaryDirectory()

  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String
    var overrides: [String] = []
    var expected: String
    var testDescription: String { name }
  }

  /// Nine levels of nine aliases: 9⁸ ≈ 43 million values once expanded. (The alias an error
  /// names is the one whose expansion crosses 100,000 values, counting keys: the first alias of
  /// line 7 in lists, the sixth alias of line 6 in mappings.)
  static func bomb(_ open: String, _ close: String, key: (Int) -> String, prefix: String) -> String {
    var lines = ["\(prefix)a: &a \(open)" + (0..<9).map { key($0) + "\"lol\"" }.joined(separator: ",") + close]
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"]
    for level in 1..<names.count {
      lines.append(
        "\(prefix)\(names[level]): &\(names[level]) \(open)"
          + (0..<9).map { key($0) + "*\(names[level - 1])" }.joined(separator: ",") + close)
    }
    return lines.joined(separator: "\n") + "\n"
  }

  static let cases: [Case] = [
    Case(
      name: "alias bomb in lists", yaml: "plugin: curve-sweep\n" + bomb("[", "]", key: { _ in "" }, prefix: ""),
      expected: "exp.yaml:7:8: the alias *e expands the file past 100,000 values"),
    Case(
      name: "alias bomb in mappings",
      yaml: "plugin: curve-sweep\n" + bomb("{", "}", key: { "k\($0): " }, prefix: ""),
      expected: "exp.yaml:6:47: the alias *d expands the file past 100,000 values"),
    Case(
      name: "alias bomb in a sweep list",
      yaml:
        "plugin: curve-sweep\nsize: 1e7\nsweep:\n  method: grid\n  parameters:\n    x: &x [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\n"
        + (1..<6).map {
          "    y\($0): &y\($0) [" + Array(repeating: $0 == 1 ? "*x" : "*y\($0 - 1)", count: 10).joined(separator: ", ")
            + "]"
        }
        .joined(separator: "\n") + "\n    steps: *y5\n",
      expected: "exp.yaml:10:49: the alias *y3 expands the file past 100,000 values"),
    Case(
      name: "alias bomb in an override", yaml: "plugin: curve-sweep\nsize: 1e7\n",
      overrides: [
        "steps=[&a [1,1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], "
          + "&d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d], [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]]"
      ],
      expected: ":1:161: the alias *d expands the file past 100,000 values"),
    Case(
      name: "a sweep of ten billion runs",
      yaml: "plugin: curve-sweep\nsize: [1e7, 2e7]\nnoise: 0.01\nsweep:\n  method: random\n  count: 5000000000\n"
        + "  parameters: {noise: {min: 0.01, max: 0.02}}\n",
      expected: "exp.yaml:5:3: the sweep expands to 10,000,000,000 runs (2 values of size × count 5000000000)"),
    Case(
      name: "a grid of a million runs",
      yaml: "plugin: curve-sweep\nsize: 1e7\nseed: [" + (1...1000).map(String.init).joined(separator: ",") + "]\n",
      overrides: ["steps=" + (1...1000).map(String.init).joined(separator: ",")],
      expected: "the sweep expands to 1,000,000 runs (1000 values of seed × 1000 values of steps)"),
    Case(
      name: "nesting past the limit",
      yaml: "plugin: curve-sweep\nsize: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        + "\n",
      expected: "exp.yaml:2:8: lists and mappings nest deeper than 1,000 levels"),
    Case(
      name: "a file of two mebibytes",
      yaml: "plugin: curve-sweep\nsize: 1e7\n" + String(repeating: "# padding\n", count: 210_000),
      expected: "exp.yaml: the file holds 2,100,030 bytes; experiment files are limited to 1,048,576 bytes"),
  ]

  @Test(arguments: cases)
  func hostileFilesCostOneLineInBoundedTimeAndMemory(_ testCase: Case) throws {
    folder.write("exp.yaml", testCase.yaml)
    let (result, cost) = try WorkbenchProcess.measure(
      ["run", "exp.yaml", "--dry-run"] + testCase.overrides, in: folder.url)
    #expect(result.status == 1)
    #expect(result.stderrLines.count == 1, "\(result.stderr)")
    #expect(result.stderr.contains(testCase.expected), "\(result.stderr)")
    #expect(cost.peakResidentBytes < 100 << 20, "peak memory \(cost.peakResidentBytes >> 20) MiB")
    // A bound against runaway expansion (which takes minutes and gigabytes), not a speed claim.
    #expect(cost.seconds < 10, "\(cost.seconds) s")
    #expect(!FileManager.default.fileExists(atPath: folder.path("workbench.sqlite")))
  }
}
