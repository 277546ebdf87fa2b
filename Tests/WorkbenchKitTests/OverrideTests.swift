import Testing
import WorkbenchKit

@Suite struct OverrideTests {
  let tree = try! ConfigNode.parse(yaml: "plugin: p\ntraining:\n  lr: 0.1\n  batch: 8\nnoise: 0.01\n", file: "e.yaml")

  @Test func parsesTheFourForms() throws {
    #expect(try Override(parsing: "training.lr=3e-4").path == "training.lr")
    guard case .sweep(_, let values) = try Override(parsing: "training.batch=4,8,16") else {
      Issue.record("expected a sweep")
      return
    }
    #expect(values.map(\.scalarText) == ["4", "8", "16"])
    guard case .set(_, let list) = try Override(parsing: "layers=[1,2]") else {
      Issue.record("a bracketed list is one value, not a sweep")
      return
    }
    #expect(list.elements?.count == 2)
    if case .add = try Override(parsing: "+extra.key=1") {} else { Issue.record("expected add") }
    if case .remove = try Override(parsing: "~noise") {} else { Issue.record("expected remove") }
  }

  @Test func rejectsMalformedOverrides() {
    for text in ["lr", "=3", "a..b=1", "~", "+x=1,2"] {
      #expect(throws: ConfigError.self, "\(text)") { try Override(parsing: text) }
    }
  }

  @Test func appliesSetAddRemoveAndReturnsSweepAxes() throws {
    var copy = tree
    let axes = try copy.apply([
      try Override(parsing: "training.lr=0.5"), try Override(parsing: "+training.warmup=10"),
      try Override(parsing: "~noise"), try Override(parsing: "training.batch=1,2"),
    ])
    #expect(copy.value(at: "training.lr")?.scalarText == "0.5")
    #expect(copy.value(at: "training.warmup")?.scalarText == "10")
    #expect(copy.value(at: "noise") == nil)
    #expect(axes.count == 1)
    #expect(axes.first?.path == "training.batch")
    #expect(copy.value(at: "training.lr")?.location?.file == "override 'training.lr=0.5'")
  }

  @Test func setOnAMissingKeySuggestsTheNearestAndPlus() throws {
    var copy = tree
    let error = #expect(throws: ConfigError.self) { _ = try copy.apply([try Override(parsing: "training.l=1")]) }
    #expect(
      error?.message
        == "cannot override 'training.l': the experiment has no such key; did you mean 'training.lr'? (add one with +training.l=VALUE)"
    )
  }

  @Test func addingAnExistingKeyOrRemovingAMissingOneFails() throws {
    var copy = tree
    #expect(throws: ConfigError.self) { _ = try copy.apply([try Override(parsing: "+noise=1")]) }
    #expect(throws: ConfigError.self) { _ = try copy.apply([try Override(parsing: "~missing")]) }
  }
}
