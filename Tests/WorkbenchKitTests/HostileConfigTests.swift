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
    let crossing = #expect(throws: ConfigError.self) { try ConfigNode.parse(yaml: yaml, file: "t.yaml", limit: 18) }
    #expect(crossing?.location?.line == 4)
    #expect(crossing?.location?.column == 4)
    #expect(crossing?.message.contains("alias") == true)
    let earlier = #expect(throws: ConfigError.self) { try ConfigNode.parse(yaml: yaml, file: "t.yaml", limit: 12) }
    #expect(earlier?.location?.line == 3)
    #expect(earlier?.location?.column == 9)
  }
}
