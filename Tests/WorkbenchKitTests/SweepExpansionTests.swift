import Testing
import WorkbenchKit

@Suite struct SweepExpansionTests {
  @Test func sweepableListsExpandIntoAGridInFileOrder() throws {
    let tree = try ConfigNode.parse(yaml: "seed: [0, 1]\nsize: [10, 20, 30]\ncorpus: [a, b]\n", file: "e.yaml")
    let points = try SweepExpansion.expand(tree, sweepable: ["seed", "size"])
    #expect(points.count == 6)
    #expect(points.map(\.label).prefix(4) == ["seed=0 size=10", "seed=0 size=20", "seed=0 size=30", "seed=1 size=10"])
    // A list-valued key that is not sweepable stays a list.
    #expect(points[0].tree.value(at: "corpus")?.elements?.count == 2)
  }

  @Test func commandLineAxisReplacesTheFileValue() throws {
    let tree = try ConfigNode.parse(yaml: "size: [10, 20]\nlr: 0.1\n", file: "e.yaml")
    let axis = SweepAxis(path: "lr", values: ["1", "2", "3"].map { ConfigNode(.scalar($0, quoted: false)) })
    let points = try SweepExpansion.expand(tree, sweepable: ["size"], commandLineAxes: [axis])
    #expect(points.count == 6)
    #expect(points.last?.label == "size=20 lr=3")
  }

  @Test func randomSearchIsSeededAndSizedByCount() throws {
    let yaml = """
      lr: 0.1
      width: 8
      sweep:
        method: random
        count: 5
        seed: 7
        parameters:
          lr: {min: 1e-4, max: 1e-1, log: true}
          width: [8, 16, 32]
      """
    let tree = try ConfigNode.parse(yaml: yaml, file: "e.yaml")
    let first = try SweepExpansion.expand(tree, sweepable: [])
    let second = try SweepExpansion.expand(tree, sweepable: [])
    #expect(first.count == 5)
    #expect(first.map(\.label) == second.map(\.label))
    for point in first {
      let lr = Double(point.tree.value(at: "lr")!.scalarText!)!
      #expect(lr >= 1e-4 && lr <= 1e-1)
      #expect(["8", "16", "32"].contains(point.tree.value(at: "width")!.scalarText!))
      #expect(point.tree["sweep"] == nil)
    }
    var other = tree
    other.setValue(ConfigNode(.scalar("8", quoted: false)), at: "sweep.seed")
    #expect(try SweepExpansion.expand(other, sweepable: []).map(\.label) != first.map(\.label))
  }

  @Test func gridBlockMultipliesAxes() throws {
    let yaml = "a: 1\nb: 2\nsweep:\n  parameters:\n    a: [1, 2]\n    b: [3, 4, 5]\n"
    let points = try SweepExpansion.expand(try ConfigNode.parse(yaml: yaml, file: "e.yaml"), sweepable: [])
    #expect(points.count == 6)
  }

  @Test func sweepBlockErrorsPointAtTheFile() throws {
    let unknown = try ConfigNode.parse(yaml: "a: 1\nsweep:\n  parameters:\n    b: [1]\n", file: "e.yaml")
    let e1 = #expect(throws: ConfigError.self) { try SweepExpansion.expand(unknown, sweepable: []) }
    #expect(e1?.description == "e.yaml:4:5: sweep parameter 'b' is not a key of the experiment")
    let noCount = try ConfigNode.parse(
      yaml: "a: 1\nsweep:\n  method: random\n  parameters:\n    a: [1]\n", file: "e.yaml")
    #expect(throws: ConfigError.self) { try SweepExpansion.expand(noCount, sweepable: []) }
  }
}
