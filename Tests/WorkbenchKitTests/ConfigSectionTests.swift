import Foundation
import Testing

@testable import WorkbenchKit

private struct Optimizer: ConfigSection, Equatable {
  var lr = 1e-3
  var schedule = Schedule.cosine
  var clip: Double?

  init() {}

  static var fields: [ConfigField<Self>] {
    [
      .key("lr", \.lr, sweepable: true, "peak learning rate"),
      .key("schedule", \.schedule, "learning-rate schedule"),
      .optional("clip", \.clip, "gradient-norm clip"),
    ]
  }
}

private enum Schedule: String, ConfigChoice { case constant, cosine }

private struct Recipe: ConfigSection, Equatable {
  var steps = 0
  var shots = [0, 1]
  var optimizer = Optimizer()
  var extra: Optimizer?

  init() {}

  static var fields: [ConfigField<Self>] {
    [
      .required("steps", \.steps, sweepable: true, "optimizer steps"),
      .key("shots", \.shots, "few-shot counts"),
      .section("optimizer", \.optimizer),
      .optionalSection("extra", \.extra),
    ]
  }

  mutating func finishDecoding() throws {
    if steps < 0 { throw ConfigIssue(["steps"], "must be 0 or more") }
  }
}

/// A section with a property its fields forget: neither read nor part of the run key.
private struct Forgetful: ConfigSection {
  var kept = 1
  var forgotten = 2

  init() {}

  static var fields: [ConfigField<Self>] { [.key("kept", \.kept, "a key")] }
}

/// A section that fills one property from two keys and so forgets the other: the counts alone
/// would agree.
private struct Doubled: ConfigSection {
  var kept = 1
  var forgotten = 2

  init() {}

  static var fields: [ConfigField<Self>] { [.key("kept", \.kept, "a key"), .key("again", \.kept, "the same")] }
}

/// Decodes `yaml` as a `Recipe` and returns it with the key paths decoding asked for.
private func decode(_ yaml: String) throws -> (Recipe, Set<String>) {
  let tree = try ConfigNode.parse(yaml: yaml, file: "x.yaml")
  let decoding = ConfigDecoding()
  let recipe = try decoding.decode(Recipe.self, from: tree)
  try decoding.rejectUnknownKeys()
  let asked = decoding.state.requested.flatMap { path, keys in keys.map { path.appending($0).description } }
  return (recipe, Set(asked))
}

@Suite struct ConfigSectionTests {
  @Test func oneDeclarationGivesTheDocumentation() {
    let keys = Recipe.configKeys
    #expect(
      keys.map(\.path) == [
        "steps", "shots", "optimizer.lr", "optimizer.schedule", "optimizer.clip", "extra.lr", "extra.schedule",
        "extra.clip",
      ])
    #expect(
      keys.map(\.type) == [
        "int", "[int]", "float", "constant | cosine", "float", "float", "constant | cosine", "float",
      ])
    #expect(keys.map(\.defaultValue) == [nil, "[0, 1]", "0.001", "cosine", "none", "0.001", "cosine", "none"])
    #expect(keys.filter(\.sweepable).map(\.path) == ["steps", "optimizer.lr", "extra.lr"])
  }

  @Test func decodingAsksForExactlyTheDocumentedKeys() throws {
    let (recipe, asked) = try decode("steps: 5\noptimizer: {lr: 0.01}\nextra: {clip: 1}\n")
    #expect(recipe.steps == 5 && recipe.optimizer.lr == 0.01 && recipe.optimizer.schedule == .cosine)
    #expect(recipe.extra?.clip == 1 && recipe.shots == [0, 1])
    // The mappings present were asked for every documented key (the section names themselves too).
    #expect(asked == Set(Recipe.configKeys.map(\.path) + ["optimizer", "extra"]))
  }

  @Test func errorsNameTheKeyAndPosition() throws {
    #expect(throws: ConfigError.self) { try decode("optimizer: {lr: 0.01}\n") }  // steps is required
    do {
      _ = try decode("steps: -1\n")
      Issue.record("a negative step count decoded")
    } catch let error as ConfigError {
      #expect("\(error)".contains("x.yaml:1:8") && "\(error)".contains("'steps': must be 0 or more"), "\(error)")
    }
    do {
      _ = try decode("steps: 1\noptimizer: {lr: 0.01, shedule: constant}\n")
      Issue.record("an unknown key decoded")
    } catch let error as ConfigError {
      #expect("\(error)".contains("did you mean 'schedule'"), "\(error)")
    }
  }

  @Test func encodingIsTheCanonicalRecipeAndRoundTrips() throws {
    let (recipe, _) = try decode("steps: 5\noptimizer: {clip: 0.5}\n")
    let json = try canonicalJSON(recipe)
    #expect(json == #"{"optimizer":{"clip":0.5,"lr":0.001,"schedule":"cosine"},"shots":[0,1],"steps":5}"#)
    #expect(try JSONDecoder().decode(Recipe.self, from: Data(json.utf8)) == recipe)
  }

  @Test func aPropertyWithoutADeclaredKeyIsFound() {
    #expect(Recipe.undeclaredProperties.isEmpty)
    #expect(Forgetful.undeclaredProperties == ["Forgetful: 2 stored properties, 1 declared"])
    #expect(
      Doubled.undeclaredProperties == [
        "Doubled: a property is filled by two declared keys", "Doubled: 2 stored properties, 1 declared",
      ])
  }
}
