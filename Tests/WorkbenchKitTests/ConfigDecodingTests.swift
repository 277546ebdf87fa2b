import Testing
import WorkbenchKit

private struct Training: Codable, Equatable {
  var lr: Double
  var batch: Int
  var schedule: Schedule?
  var warmup: Int?
}

private enum Schedule: String, ConfigChoice {
  case constant, cosine
}

private struct Example: Codable, Equatable {
  var name: String
  var training: Training
  var layers: [Int]
}

private func decode(_ yaml: String) throws -> Example {
  let tree = try ConfigNode.parse(yaml: yaml, file: "x.yaml")
  let decoding = ConfigDecoding()
  let value = try decoding.decode(Example.self, from: tree)
  try decoding.rejectUnknownKeys()
  return value
}

private func error(_ yaml: String) -> ConfigError? {
  do {
    _ = try decode(yaml)
    return nil
  } catch let error as ConfigError {
    return error
  } catch {
    Issue.record("unexpected error type: \(error)")
    return nil
  }
}

@Suite struct ConfigDecodingTests {
  @Test func decodesTypedValuesIncludingScientificIntegers() throws {
    let value = try decode(
      """
      name: run
      training:
        lr: 3e-4
        batch: 1e3
        schedule: cosine
      layers: [2, 4, 8]
      """)
    #expect(
      value == Example(name: "run", training: Training(lr: 3e-4, batch: 1000, schedule: .cosine), layers: [2, 4, 8]))
  }

  @Test func unknownKeyNamesFileLineColumnAndNearestKey() throws {
    let e = error(
      """
      name: run
      training:
        lr: 0.1
        batch: 4
        warmpu: 10
      layers: []
      """)
    #expect(e?.code == .unknownKey)
    #expect(e?.description == "x.yaml:5:3: unknown key 'warmpu' in 'training'; did you mean 'warmup'?")
  }

  @Test func misspelledRequiredKeyIsReportedAsTheTypo() throws {
    let e = error("name: run\ntraining: {lr: 0.1, bacth: 4}\nlayers: []\n")
    #expect(e?.description == "x.yaml:2:21: unknown key 'bacth' in 'training'; did you mean 'batch'?")
  }

  @Test func wrongTypeNamesKeyPathExpectedTypeAndValue() throws {
    let e = error("name: run\ntraining:\n  lr: fast\n  batch: 4\nlayers: []\n")
    #expect(e?.code == .wrongType)
    #expect(e?.description == "x.yaml:3:7: 'training.lr' expects a number, got 'fast'")
    let list = error("name: run\ntraining: {lr: 1, batch: 4}\nlayers: 3\n")
    #expect(list?.description == "x.yaml:3:9: 'layers' expects a list, got '3'")
  }

  @Test func fractionalIntegerIsRejected() throws {
    let e = error("name: run\ntraining: {lr: 1, batch: 2.5}\nlayers: []\n")
    #expect(e?.description == "x.yaml:2:26: 'training.batch' expects an integer, got '2.5'")
  }

  @Test func nonFiniteNumbersAreRejected() throws {
    let e = error("name: run\ntraining: {lr: .nan, batch: 2}\nlayers: []\n")
    #expect(e?.description == "x.yaml:2:16: 'training.lr' expects a finite number, got '.nan'")
  }

  @Test func unknownKeyWithoutACloseMatchListsTheValidKeys() throws {
    let e = error("name: run\ntraining: {lr: 1, batch: 2, momentum: 0.9}\nlayers: []\n")
    #expect(e?.message == "unknown key 'momentum' in 'training'; valid keys here: batch, lr, schedule, warmup")
  }

  @Test func missingKeyIsNamed() throws {
    let e = error("name: run\ntraining: {lr: 1}\nlayers: []\n")
    #expect(e?.code == .missingKey)
    #expect(e?.message == "missing required key 'training.batch'")
  }

  @Test func choiceListsValidValues() throws {
    let e = error("name: run\ntraining: {lr: 1, batch: 2, schedule: cosin}\nlayers: []\n")
    #expect(
      e?.description
        == "x.yaml:2:39: 'training.schedule' must be one of 'constant', 'cosine', got 'cosin'; did you mean 'cosine'?")
  }

  @Test func syntaxErrorHasLine() throws {
    let e = error("name: run\ntraining: {lr: 1, batch: 2\nlayers: []\n")
    #expect(e?.code == .syntax)
    #expect(e?.location?.line == 3)
  }

  @Test func duplicateKeyIsASyntaxError() throws {
    let e = error("name: a\nname: b\n")
    #expect(e?.code == .syntax)
    #expect(e?.message.contains("duplicate key 'name'") == true)
  }
}
