import Foundation
import Testing

@testable import WorkbenchKit

@Suite struct HostileConfigTests {
  @Test func aliasesAreFollowedWithinABudgetThatNamesTheAlias() throws {
    let yaml = "plugin: curve-sweep\na: &a [1, 2]\nb: [*a, *a]\nc: *a\n"
    // 1 root + 4 keys + plugin + a (3) + b (1 + 2 × 3) + c (3) = 19 values: fine at 19 …
    let tree = try ConfigNode.parse(yaml: yaml, file: "t.yaml", limit: 19)
    #expect(tree["b"]?.elements?.count == 2)
    #expect(tree["c"]?.elements?.map(\.rendered) == ["1", "2"])
    // … one less, and the alias that crosses it is named: `c: *a` at line 4, column 4.
    do {
      _ = try ConfigNode.parse(yaml: yaml, file: "t.yaml", limit: 18)
      Issue.record("no error")
    } catch let error as ConfigError {
      #expect(error.location?.line == 4)
      #expect(error.location?.column == 4)
      #expect(error.message.contains("alias"))
    }
    do {
      _ = try ConfigNode.parse(yaml: yaml, file: "t.yaml", limit: 12)
      Issue.record("no error")
    } catch let error as ConfigError {
      #expect(error.location?.line == 3)
      #expect(error.location?.column == 9)
    }
  }
}
