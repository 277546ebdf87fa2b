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

  /// A config error: the YAML, its code and the line the user reads.
  struct Case: CustomTestStringConvertible, Sendable {
    var name: String
    var yaml: String
    var code: ConfigError.Code
    var line: String
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(
      name: "misspelled required key", yaml: "name: run\ntraining: {lr: 0.1, bacth: 4}\nlayers: []\n",
      code: .unknownKey, line: "x.yaml:2:21: unknown key 'bacth' in 'training'; did you mean 'batch'?"),
    Case(
      name: "unknown key, nothing close", yaml: "name: run\ntraining: {lr: 1, batch: 2, momentum: 0.9}\nlayers: []\n",
      code: .unknownKey,
      line: "x.yaml:2:29: unknown key 'momentum' in 'training'; valid keys here: batch, lr, schedule, warmup"),
    Case(
      name: "wrong type", yaml: "name: run\ntraining:\n  lr: fast\n  batch: 4\nlayers: []\n", code: .wrongType,
      line: "x.yaml:3:7: 'training.lr' expects a number, got 'fast'"),
    Case(
      name: "not a list", yaml: "name: run\ntraining: {lr: 1, batch: 4}\nlayers: 3\n", code: .wrongType,
      line: "x.yaml:3:9: 'layers' expects a list, got '3'"),
    Case(
      name: "fractional integer", yaml: "name: run\ntraining: {lr: 1, batch: 2.5}\nlayers: []\n", code: .wrongType,
      line: "x.yaml:2:26: 'training.batch' expects an integer, got '2.5'"),
    Case(
      name: "not finite", yaml: "name: run\ntraining: {lr: .nan, batch: 2}\nlayers: []\n", code: .wrongType,
      line: "x.yaml:2:16: 'training.lr' expects a finite number, got '.nan'"),
    Case(
      name: "missing key", yaml: "name: run\ntraining: {lr: 1}\nlayers: []\n", code: .missingKey,
      line: "x.yaml:2:11: missing required key 'training.batch'"),
    Case(
      name: "not a choice", yaml: "name: run\ntraining: {lr: 1, batch: 2, schedule: cosin}\nlayers: []\n",
      code: .invalidValue,
      line: "x.yaml:2:39: 'training.schedule' must be one of 'constant', 'cosine', got 'cosin'; did you mean 'cosine'?"),
  ]

  @Test(arguments: cases)
  func errorsNameThePlaceTheKeyAndWhatItTakes(_ c: Case) throws {
    let e = error(c.yaml)
    #expect(e?.code == c.code)
    #expect(e?.description == c.line)
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
