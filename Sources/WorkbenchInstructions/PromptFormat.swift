import WorkbenchRandom

/// A prompt format from a grammar after FormatSpread's (Sclar et al. 2023): the same content —
/// definition, k demonstrations and the query — with other field names, casing, separators,
/// spacing, label words and option lists. A format is applied to the demonstrations and the query
/// alike. Text is word tokens, so every piece a format adds is a word of `PromptFormat.vocabulary`.
///
/// `PromptFormat.tkInstruct` renders exactly Tk-Instruct's layout (the one tuning uses): with two
/// demonstrations it is the `def+pos` encoding, without any the `def` encoding.
public struct PromptFormat: Sendable, Hashable, Codable, CustomStringConvertible {
  public enum Casing: String, Sendable, CaseIterable, Codable {
    case title, lower, upper

    func apply(_ word: String) -> String {
      switch self {
      case .title: word
      case .lower: word.lowercased()
      case .upper: word.uppercased()
      }
    }
  }

  /// How answer options are listed before the demonstrations (classification tasks).
  public enum Enumeration: String, Sendable, CaseIterable, Codable {
    case none
    case parenthesisLetter = "(a)"
    case letterParenthesis = "a)"
    case number = "1."
    case bracketNumber = "[1]"

    func marker(_ index: Int) -> String {
      let letter = String(UnicodeScalar(UInt8(97 + index)))
      switch self {
      case .none: return ""
      case .parenthesisLetter: return "(\(letter))"
      case .letterParenthesis: return "\(letter))"
      case .number: return "\(index + 1)."
      case .bracketNumber: return "[\(index + 1)]"
      }
    }
  }

  /// Names of the definition, input, output and options fields, as written with `.title` casing.
  public static let definitionNames = ["Definition", "Instruction", "Task"]
  public static let inputNames = ["Input", "Question", "Text"]
  public static let outputNames = ["Output", "Answer", "Label"]
  public static let optionNames = ["Options", "Choices"]
  /// Between a field's name and its text: `:` is written against the name (`Input:`), the others
  /// as words of their own.
  public static let separators = [":", " :", " -", " ::", " =", " ->"]
  /// Between the fields of one example.
  public static let fieldSpaces = ["\n", " ", " || ", " ; "]
  /// Between examples.
  public static let exampleSpaces = ["\n\n", "\n", " ### "]
  /// Words for the labels `yes` and `no` of binary tasks.
  public static let verbalizers = [("yes", "no"), ("true", "false"), ("right", "wrong")]
  /// What stands for "no input" in contextual calibration (Zhao et al. 2021: "N/A", "", "[MASK]").
  public static let contentFreeInputs = ["N/A", "", "[MASK]"]

  public var definitionName = 0
  public var inputName = 0
  public var outputName = 0
  public var optionName = 0
  public var casing = Casing.title
  public var separator = 0
  public var fieldSpace = 0
  public var exampleSpace = 0
  public var verbalizer = 0
  public var enumeration = Enumeration.none
  /// Tk-Instruct's ` Positive Example i -` line before each demonstration and `Now complete the
  /// following example -` before the query.
  public var headers = false

  public init() {}

  /// Tk-Instruct's layout.
  public static let tkInstruct: PromptFormat = {
    var format = PromptFormat()
    format.headers = true
    return format
  }()

  /// `count` distinct formats drawn from the grammar with `seed`; the first is Tk-Instruct's.
  public static func sample(_ count: Int, seed: UInt64) -> [PromptFormat] {
    var g = SeededGenerator(suiteSeed: seed ^ 0xF0_4A7)
    var formats: [PromptFormat] = [.tkInstruct]
    var seen: Set<PromptFormat> = [.tkInstruct]
    var attempts = 0
    while formats.count < count && attempts < 100 * count {
      attempts += 1
      var f = PromptFormat()
      f.definitionName = g.int(0...(definitionNames.count - 1))
      f.inputName = g.int(0...(inputNames.count - 1))
      f.outputName = g.int(0...(outputNames.count - 1))
      f.optionName = g.int(0...(optionNames.count - 1))
      f.casing = g.pick(Casing.allCases)
      f.separator = g.int(0...(separators.count - 1))
      f.fieldSpace = g.int(0...(fieldSpaces.count - 1))
      f.exampleSpace = g.int(0...(exampleSpaces.count - 1))
      // FormatSpread's constraint: a newline between name and text asks for one between fields
      // too — here, examples are never closer together than fields.
      if exampleSpaces[f.exampleSpace] == "\n" && fieldSpaces[f.fieldSpace] == "\n" { f.exampleSpace = 0 }
      f.verbalizer = g.int(0...(verbalizers.count - 1))
      f.enumeration = g.pick(Enumeration.allCases)
      f.headers = g.int(0...3) == 0
      if seen.insert(f).inserted { formats.append(f) }
    }
    return formats
  }

  /// Every word a format can add to a prompt.
  public static let vocabulary: Set<String> = {
    var words: Set<String> = ["Positive", "Example", "-", "Now", "complete", "the", "following", "example", "."]
    for name in definitionNames + inputNames + outputNames + optionNames {
      for casing in Casing.allCases {
        words.insert(casing.apply(name))
        words.insert(casing.apply(name) + ":")
      }
    }
    for text in separators + fieldSpaces + exampleSpaces {
      words.formUnion(text.split(separator: " ").map(String.init).filter { !$0.contains("\n") })
    }
    for (yes, no) in verbalizers { words.formUnion([yes, no]) }
    for enumeration in Enumeration.allCases where enumeration != .none {
      for i in 0..<4 { words.insert(enumeration.marker(i)) }
    }
    words.formUnion(contentFreeInputs.filter { !$0.isEmpty })
    words.insert(",")
    return words
  }()

  public var description: String {
    let name = { (names: [String], i: Int) in self.casing.apply(names[i]) }
    let shown = { (s: String) in s.replacingOccurrences(of: "\n", with: "⏎") }
    return "\(name(Self.inputNames, inputName))\(shown(Self.separators[separator]))…"
      + "\(shown(Self.fieldSpaces[fieldSpace]))\(name(Self.outputNames, outputName))"
      + " | def \(name(Self.definitionNames, definitionName)) | between \(shown(Self.exampleSpaces[exampleSpace]))"
      + " | labels \(Self.verbalizers[verbalizer].0)/\(Self.verbalizers[verbalizer].1)"
      + (enumeration == .none ? "" : " | options \(enumeration.rawValue)") + (headers ? " | headers" : "")
  }

  /// The label word this format writes for `label` (only `yes` and `no` change).
  public func verbalize(_ label: String) -> String {
    switch label {
    case "yes": Self.verbalizers[verbalizer].0
    case "no": Self.verbalizers[verbalizer].1
    default: label
    }
  }

  /// `definition` with the label words of this format ("answer yes or no" → "answer true or false").
  func verbalizeDefinition(_ definition: String) -> String {
    definition.split(separator: " ").map { verbalize(String($0)) }.joined(separator: " ")
  }

  private func field(_ names: [String], _ index: Int, _ text: String) -> String {
    let name = casing.apply(names[index])
    let separator = Self.separators[self.separator]
    let head = separator == ":" ? name + ":" : name + separator
    return text.isEmpty ? head : head + " " + text
  }

  /// The prompt: definition, the options (when listed), the demonstrations in order, and the
  /// query's input followed by the output field's name — the model writes the answer next.
  /// Labels in demonstrations and options are verbalised; text gets Tk-Instruct's full stop.
  public func prompt(
    definition: String, options: [String]? = nil, demonstrations: [InstructionExample], input: String
  ) -> String {
    let fieldSpace = Self.fieldSpaces[self.fieldSpace]
    let exampleSpace = Self.exampleSpaces[self.exampleSpace]
    var parts: [String] = []
    let binary = options?.contains("yes") == true
    var head = field(
      Self.definitionNames, definitionName, punctuated(binary ? verbalizeDefinition(definition) : definition))
    if let options, enumeration != .none {
      let list = options.enumerated().map { "\(enumeration.marker($0.offset)) \(verbalize($0.element))" }
      head += fieldSpace + field(Self.optionNames, optionName, list.joined(separator: " "))
    }
    parts.append(head)
    for (i, example) in demonstrations.enumerated() {
      let header = headers ? " Positive Example \(i + 1) -\n" : ""
      parts.append(
        header + field(Self.inputNames, inputName, punctuated(example.input)) + fieldSpace
          + field(Self.outputNames, outputName, punctuated(verbalize(example.output))))
    }
    let query = headers ? "Now complete the following example -\n" : ""
    parts.append(
      query + field(Self.inputNames, inputName, punctuated(input)) + fieldSpace
        + field(Self.outputNames, outputName, ""))
    return parts.joined(separator: exampleSpace) + " "
  }
}
