import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchTestSupport

/// Every bad input gives one clear line on stderr, a non-zero exit, and leaves the log as it was.
@Suite(.serialized) struct BadInputTests {
  let folder = TemporaryDirectory()

  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var yaml: String?
    var arguments: [String]
    var expected: String
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "missing file", yaml: nil, arguments: ["run", "nope.yaml"], expected: "no such experiment file: nope.yaml"),
    Case(
      name: "YAML syntax", yaml: "plugin: curve-sweep\nsize: [1e7, 2e7\nsteps: 3\n", arguments: ["run", "exp.yaml"],
      expected: "exp.yaml:3:6: YAML syntax error"),
    Case(
      name: "unknown key", yaml: "plugin: curve-sweep\nsize: 1e7\nstpes: 3\n", arguments: ["run", "exp.yaml"],
      expected: "exp.yaml:3:1: unknown key 'stpes'; did you mean 'steps'?"),
    Case(
      name: "wrong type", yaml: "plugin: curve-sweep\nsize: 1e7\nlaw:\n  alpha: steep\n",
      arguments: ["run", "exp.yaml"],
      expected: "exp.yaml:4:10: 'law.alpha' expects a number, got 'steep'"),
    Case(
      name: "unknown plugin", yaml: "plugin: transformer\nsize: 1e7\n", arguments: ["run", "exp.yaml"],
      expected: "exp.yaml:1:9: unknown plugin transformer; known plugins: curve-sweep"),
    Case(
      name: "bad override", yaml: "plugin: curve-sweep\nsize: 1e7\n", arguments: ["run", "exp.yaml", "sise=3"],
      expected: "cannot override 'sise': the experiment has no such key; did you mean 'size'?"),
    Case(
      name: "invalid value", yaml: "plugin: curve-sweep\nsize: -5\n", arguments: ["run", "exp.yaml"],
      expected: "exp.yaml:2:7: 'size': must be a positive parameter count"),
    Case(
      name: "log is not SQLite", yaml: "plugin: curve-sweep\nsize: 1e7\n",
      arguments: ["run", "exp.yaml", "--log", "notes.txt"], expected: "notes.txt is not a workbench log"),
    Case(
      name: "log from a newer schema", yaml: "plugin: curve-sweep\nsize: 1e7\n",
      arguments: ["run", "exp.yaml", "--log", "future.sqlite"], expected: "was written by a newer workbench"),
    Case(
      name: "query a missing log", yaml: nil, arguments: ["query", "SELECT 1", "--log", "absent.sqlite"],
      expected: "no run log at absent.sqlite"),
  ]

  @Test(arguments: cases)
  func badInputGivesOneLineAndKeepsData(_ testCase: Case) throws {
    if let yaml = testCase.yaml { folder.write("exp.yaml", yaml) }
    folder.write("notes.txt", "my notes, not a database\n")
    let good = try WorkbenchProcess.run(
      ["run", "exp.yaml", "--log", "future.sqlite", "size=1e7", "steps=2"],
      in: folder.url)
    if testCase.yaml != nil && good.status == 0 {
      _ = try sqlite3(folder.path("future.sqlite"), "INSERT INTO grdb_migrations VALUES ('v99-future')")
    }
    let logBefore = contents(folder.path("workbench.sqlite"))
    let futureBefore = contents(folder.path("future.sqlite"))

    let result = try WorkbenchProcess.run(testCase.arguments, in: folder.url)
    #expect(result.status != 0)
    #expect(result.stderrLines.count == 1, "\(result.stderr)")
    #expect(result.stderr.contains(testCase.expected), "\(result.stderr)")
    #expect(contents(folder.path("notes.txt")) == Data("my notes, not a database\n".utf8))
    #expect(contents(folder.path("workbench.sqlite")) == logBefore)
    #expect(contents(folder.path("future.sqlite")) == futureBefore)
  }
}
