import WorkbenchTensor

/// The families of workbench's instruction suite: small, exactly solvable operations on lists of
/// letters and digits, a closed lexicon and a toy grammar, in twelve categories.
enum Lexicon {
  /// The letters lists are made of: sixteen, so that a list rarely repeats a letter and a model
  /// can copy it by following each letter's successor (with eight, a third of all letter pairs in
  /// a prompt recur and copying needs position arithmetic a small model learns slowly).
  static let letters = (0..<16).map { String(UnicodeScalar(UInt8(97 + $0))) }
  /// The letters tasks are parameterised by (`remove(x=c)`): the first eight.
  static let boundLetters = Array(letters.prefix(8))
  static let digits = (0...9).map(String.init)

  /// Nouns with their kind, colour and plural.
  static let nouns: [(noun: String, kind: String, colour: String, plural: String)] = [
    ("cat", "animal", "black", "cats"), ("dog", "animal", "brown", "dogs"), ("mouse", "animal", "grey", "mice"),
    ("sheep", "animal", "white", "sheep"), ("fox", "animal", "red", "foxes"), ("goose", "animal", "white", "geese"),
    ("apple", "fruit", "red", "apples"), ("banana", "fruit", "yellow", "bananas"),
    ("lemon", "fruit", "yellow", "lemons"),
    ("plum", "fruit", "purple", "plums"), ("cherry", "fruit", "red", "cherries"), ("grape", "fruit", "green", "grapes"),
    ("hammer", "tool", "grey", "hammers"), ("knife", "tool", "grey", "knives"), ("brush", "tool", "brown", "brushes"),
    ("saw", "tool", "black", "saws"), ("car", "vehicle", "red", "cars"), ("bus", "vehicle", "yellow", "buses"),
    ("bike", "vehicle", "green", "bikes"), ("boat", "vehicle", "white", "boats"),
  ]
  static let kinds = ["animal", "fruit", "tool", "vehicle"]
  static let opposites = [
    ("big", "small"), ("hot", "cold"), ("up", "down"), ("open", "closed"), ("light", "dark"), ("fast", "slow"),
    ("old", "new"), ("happy", "sad"), ("wet", "dry"), ("full", "empty"), ("early", "late"), ("high", "low"),
  ]
  static let names = ["tom", "ann", "bob", "eve", "sam", "kim", "joe", "liz"]
  /// Verbs of the toy grammar: base, third person, past.
  static let verbs = [
    ("see", "sees", "saw"), ("like", "likes", "liked"), ("chase", "chases", "chased"), ("find", "finds", "found"),
    ("help", "helps", "helped"), ("watch", "watches", "watched"),
  ]
  static let animals = nouns.filter { $0.kind == "animal" }

  /// A sentence of pretraining text stating one fact of the lexicon.
  static func fact(_ g: inout SeededGenerator) -> String {
    let n = g.pick(nouns)
    switch g.int(0...3) {
    case 0: return "the \(n.noun) is a \(n.kind) ."
    case 1: return "the \(n.noun) is \(n.colour) ."
    case 2: return "one \(n.noun) , two \(n.plural) ."
    default:
      let (a, b) = g.pick(opposites)
      return g.int(0...1) == 0 ? "\(a) is the opposite of \(b) ." : "\(b) is the opposite of \(a) ."
    }
  }

  /// Every word the facts and the rest of the pretraining text use besides the lexicon's.
  static let factWords = ["is", "a", "one", "two", "opposite", "of", ",", "the", ".", "and", "make"]
}

extension SeededGenerator {
  /// A list of 3…6 letters; `containing` puts that letter in it with probability `chance`.
  mutating func letters(_ count: ClosedRange<Int> = 3...6, containing x: String? = nil, chance: Double = 0.75)
    -> [String]
  {
    var list = (0..<int(count)).map { _ in pick(Lexicon.letters) }
    if let x {
      list.removeAll { $0 == x }
      if list.isEmpty || Double(int(0...999)) / 1000 < chance {
        let copies = int(1...2)
        for _ in 0..<copies { list.insert(x, at: int(0...list.count)) }
      }
      if list.isEmpty { list = [pick(Lexicon.letters.filter { $0 != x })] }
    }
    return list
  }

  mutating func digitList(_ count: ClosedRange<Int> = 2...4) -> [String] {
    (0..<int(count)).map { _ in pick(Lexicon.digits) }
  }

  /// A sentence of the toy grammar: `the cat sees the dog`.
  mutating func sentence() -> (subject: Int, verb: Int, object: Int) {
    let subject = int(0...(Lexicon.animals.count - 1))
    var object = int(0...(Lexicon.animals.count - 1))
    if object == subject { object = (object + 1) % Lexicon.animals.count }
    return (subject, int(0...(Lexicon.verbs.count - 1)), object)
  }
}

/// Splits `a b | c d` into its two lists.
private func twoLists(_ words: [String]) -> ([String], [String]) {
  let bar = words.firstIndex(of: "|") ?? words.count
  return (Array(words[..<bar]), bar < words.count ? Array(words[(bar + 1)...]) : [])
}

private func bindings(_ key: String, _ values: [String]) -> [TaskBinding] { values.map { [key: $0] } }
private func numbers(_ range: ClosedRange<Int>) -> [String] { range.map(String.init) }

/// Toy-grammar sentence words from its parts.
private func sentenceWords(_ s: (subject: Int, verb: Int, object: Int)) -> [String] {
  ["the", Lexicon.animals[s.subject].noun, Lexicon.verbs[s.verb].1, "the", Lexicon.animals[s.object].noun]
}

/// Parses `the cat sees the dog` back into its parts.
private func parseSentence(_ words: [String]) -> (subject: Int, verb: Int, object: Int)? {
  guard words.count == 5, let s = Lexicon.animals.firstIndex(where: { $0.noun == words[1] }),
    let v = Lexicon.verbs.firstIndex(where: { $0.1 == words[2] }),
    let o = Lexicon.animals.firstIndex(where: { $0.noun == words[4] })
  else { return nil }
  return (s, v, o)
}

private func letterList(_ b: TaskBinding, _ g: inout SeededGenerator) -> [String] { g.letters(containing: b["x"]) }

/// Every family of the suite, in a fixed order.
let taskCatalogue: [TaskFamily] =
  positional + filtering + rewriting + ordering + counting + arithmetic
  + classification + twoListFamilies + lexicon + dataToText + errorCorrection + sentenceFamilies

private let positional: [TaskFamily] = [
  TaskFamily(
    "first", .positional, bindings: bindings("k", numbers(1...4)),
    definitions: [
      "give the first {k} items of the list", "keep only the first {k} items", "write the {k} items at the start",
    ], explanation: "the output is the first {k} items in order", wrongExplanation: "these are the last {k} items",
    generate: { _, g in g.letters(5...7) }, solve: { b, w in Array(w.prefix(Int(b["k"]!)!)) },
    wrong: { b, w, _ in Array(w.suffix(Int(b["k"]!)!)) }),
  TaskFamily(
    "last", .positional, bindings: bindings("k", numbers(1...4)),
    definitions: [
      "give the last {k} items of the list", "keep only the last {k} items", "write the {k} items at the end",
    ],
    explanation: "the output is the last {k} items in order", wrongExplanation: "these are the first {k} items",
    generate: { _, g in g.letters(5...7) }, solve: { b, w in Array(w.suffix(Int(b["k"]!)!)) },
    wrong: { b, w, _ in Array(w.prefix(Int(b["k"]!)!)) }),
  TaskFamily(
    "drop-first", .positional, bindings: bindings("k", numbers(1...3)),
    definitions: [
      "remove the first {k} items of the list", "give all items except the first {k}", "skip {k} items at the start",
    ], explanation: "the first {k} items are gone", wrongExplanation: "the last {k} items were removed instead",
    generate: { _, g in g.letters(5...7) }, solve: { b, w in Array(w.dropFirst(Int(b["k"]!)!)) },
    wrong: { b, w, _ in Array(w.dropLast(Int(b["k"]!)!)) }),
  TaskFamily(
    "drop-last", .positional, bindings: bindings("k", numbers(1...3)),
    definitions: [
      "remove the last {k} items of the list", "give all items except the last {k}", "skip {k} items at the end",
    ], explanation: "the last {k} items are gone", wrongExplanation: "the first {k} items were removed instead",
    generate: { _, g in g.letters(5...7) }, solve: { b, w in Array(w.dropLast(Int(b["k"]!)!)) },
    wrong: { b, w, _ in Array(w.dropFirst(Int(b["k"]!)!)) }),
  TaskFamily(
    "item-at", .positional, bindings: bindings("k", numbers(1...5)),
    definitions: [
      "give the item at position {k}", "which item is number {k} in the list", "write item {k} of the list",
    ],
    explanation: "counting from the start , item {k} is the answer",
    wrongExplanation: "this item is counted from the end",
    generate: { _, g in g.letters(5...7) }, solve: { b, w in [w[Int(b["k"]!)! - 1]] },
    wrong: { b, w, _ in [w[w.count - Int(b["k"]!)!]] }),
  TaskFamily(
    "every-second", .positional,
    definitions: [
      "keep every second item of the list", "give the items at even positions", "write items 2 , 4 and so on",
    ], explanation: "items 2 , 4 and so on are kept", wrongExplanation: "these are the items at odd positions",
    generate: { _, g in g.letters(4...7) }, solve: { _, w in w.indices.filter { $0 % 2 == 1 }.map { w[$0] } },
    wrong: { _, w, _ in w.indices.filter { $0 % 2 == 0 }.map { w[$0] } }),
]

private let filtering: [TaskFamily] = [
  TaskFamily(
    "remove", .filtering, bindings: bindings("x", Lexicon.boundLetters),
    definitions: ["remove each {x} from the list", "delete every {x}", "write the list without the letter {x}"],
    explanation: "every {x} is removed and the order is kept", wrongExplanation: "the {x} is still there",
    generate: letterList, solve: { b, w in w.filter { $0 != b["x"]! } }, wrong: { _, w, _ in w }),
  TaskFamily(
    "keep", .filtering, bindings: bindings("x", Lexicon.boundLetters),
    definitions: ["keep only the letter {x}", "write each {x} of the list and nothing else", "remove all but {x}"],
    explanation: "only the {x} items remain", wrongExplanation: "the {x} items were removed instead",
    generate: letterList, solve: { b, w in w.filter { $0 == b["x"]! } },
    wrong: { b, w, _ in w.filter { $0 != b["x"]! } }),
  TaskFamily(
    "before", .filtering, bindings: bindings("x", Lexicon.boundLetters),
    definitions: [
      "give the items before the first {x}", "write what comes before the first {x}",
      "keep the items ahead of the first {x}",
    ], explanation: "the items up to the first {x} are kept", wrongExplanation: "these come after the first {x}",
    generate: { b, g in g.letters(containing: b["x"], chance: 1) },
    solve: { b, w in Array(w.prefix(w.firstIndex(of: b["x"]!) ?? w.count)) },
    wrong: { b, w, _ in Array(w.suffix(from: (w.firstIndex(of: b["x"]!) ?? w.count - 1) + 1)) }),
  TaskFamily(
    "after", .filtering, bindings: bindings("x", Lexicon.boundLetters),
    definitions: [
      "give the items after the first {x}", "write what comes after the first {x}",
      "keep the items behind the first {x}",
    ], explanation: "the items behind the first {x} are kept", wrongExplanation: "these come before the first {x}",
    generate: { b, g in g.letters(containing: b["x"], chance: 1) },
    solve: { b, w in Array(w.suffix(from: (w.firstIndex(of: b["x"]!) ?? w.count - 1) + 1)) },
    wrong: { b, w, _ in Array(w.prefix(w.firstIndex(of: b["x"]!) ?? w.count)) }),
]

/// Ordered pairs of distinct letters among the first five, for the two-parameter families.
private let letterPairs: [TaskBinding] = Lexicon.letters.prefix(5).flatMap { x in
  Lexicon.letters.prefix(5).filter { $0 != x }.map { ["x": x, "y": $0] }
}.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)

private let rewriting: [TaskFamily] = [
  TaskFamily(
    "reverse", .rewriting,
    definitions: ["reverse the list", "write the list backwards", "give the items in the opposite order"],
    explanation: "the last item comes first", wrongExplanation: "the list is unchanged",
    generate: { _, g in g.letters() }, solve: { _, w in w.reversed() }, wrong: { _, w, _ in w }),
  TaskFamily(
    "rotate", .rewriting, bindings: bindings("k", numbers(1...3)),
    definitions: [
      "move the first {k} items to the end", "rotate the list left by {k}", "put the first {k} items after the others",
    ], explanation: "the first {k} items now come last", wrongExplanation: "the last {k} items were moved instead",
    generate: { _, g in g.letters(5...7) },
    solve: { b, w in
      let k = Int(b["k"]!)!; return Array(w.dropFirst(k) + w.prefix(k))
    },
    wrong: { b, w, _ in
      let k = Int(b["k"]!)!; return Array(w.suffix(k) + w.dropLast(k))
    }),
  TaskFamily(
    "replace", .rewriting, bindings: letterPairs,
    definitions: ["replace each {x} with {y}", "write {y} wherever the list has {x}", "change every {x} into {y}"],
    explanation: "every {x} became {y}", wrongExplanation: "the letters were changed the wrong way",
    generate: letterList, solve: { b, w in w.map { $0 == b["x"]! ? b["y"]! : $0 } },
    wrong: { b, w, _ in w.map { $0 == b["y"]! ? b["x"]! : $0 } }),
  TaskFamily(
    "double", .rewriting, bindings: bindings("x", Lexicon.boundLetters),
    definitions: ["write each {x} twice", "double every {x} in the list", "repeat each {x} once more"],
    explanation: "each {x} appears twice in a row", wrongExplanation: "the {x} items were not doubled",
    generate: letterList, solve: { b, w in w.flatMap { $0 == b["x"]! ? [$0, $0] : [$0] } }, wrong: { _, w, _ in w }),
  TaskFamily(
    "append", .rewriting, bindings: bindings("x", Lexicon.boundLetters),
    definitions: ["add {x} at the end of the list", "write the list and then {x}", "put one {x} after the last item"],
    explanation: "{x} is added after the last item", wrongExplanation: "{x} was added at the start",
    generate: { _, g in g.letters() }, solve: { b, w in w + [b["x"]!] }, wrong: { b, w, _ in [b["x"]!] + w }),
  TaskFamily(
    "swap-ends", .rewriting,
    definitions: [
      "swap the first and the last item", "exchange the two end items", "put the last item first and the first last",
    ],
    explanation: "the two end items changed places", wrongExplanation: "the whole list was reversed",
    generate: { _, g in g.letters(4...7) },
    solve: { _, w in
      var v = w; v.swapAt(0, v.count - 1); return v
    }, wrong: { _, w, _ in w.reversed() }),
]

private let ordering: [TaskFamily] = [
  TaskFamily(
    "sort", .ordering,
    definitions: ["sort the list", "write the items in alphabetical order", "put the letters in order from a to p"],
    explanation: "the letters are in alphabetical order", wrongExplanation: "the order is reversed",
    generate: { _, g in g.letters() }, solve: { _, w in w.sorted() }, wrong: { _, w, _ in w.sorted(by: >) }),
  TaskFamily(
    "sort-descending", .ordering,
    definitions: [
      "sort the list from p to a", "write the items in reverse alphabetical order",
      "put the letters in order from p to a",
    ],
    explanation: "the letters go from p towards a", wrongExplanation: "the order goes from a to p",
    generate: { _, g in g.letters() }, solve: { _, w in w.sorted(by: >) }, wrong: { _, w, _ in w.sorted() }),
  TaskFamily(
    "unique", .ordering,
    definitions: [
      "remove repeated items", "keep the first copy of each item", "write each letter only once in its first place",
    ],
    explanation: "repeats are dropped and first copies keep their order", wrongExplanation: "the list was also sorted",
    generate: { _, g in g.letters(4...7) },
    solve: { _, w in
      var seen = Set<String>(); return w.filter { seen.insert($0).inserted }
    },
    wrong: { _, w, _ in Array(Set(w)).sorted() }),
  TaskFamily(
    "to-front", .ordering, bindings: bindings("x", Lexicon.boundLetters),
    definitions: [
      "move each {x} to the front", "put every {x} before the other items",
      "write the {x} items first and then the rest",
    ],
    explanation: "the {x} items come first and the rest keep their order",
    wrongExplanation: "the {x} items went to the end",
    generate: { b, g in g.letters(containing: b["x"], chance: 1) },
    solve: { b, w in w.filter { $0 == b["x"]! } + w.filter { $0 != b["x"]! } },
    wrong: { b, w, _ in w.filter { $0 != b["x"]! } + w.filter { $0 == b["x"]! } }),
]

private let counting: [TaskFamily] = [
  TaskFamily(
    "length", .counting,
    definitions: ["how many items are in the list", "count the items", "give the length of the list"],
    explanation: "there are that many items", wrongExplanation: "one item too many was counted",
    generate: { _, g in g.letters() }, solve: { _, w in [String(w.count)] }, wrong: { _, w, _ in [String(w.count + 1)] }
  ),
  TaskFamily(
    "count", .counting, bindings: bindings("x", Lexicon.boundLetters),
    definitions: ["how many times does {x} appear", "count each {x} in the list", "give the number of {x} items"],
    explanation: "the list has that many {x} items", wrongExplanation: "this counts all items , not only {x}",
    generate: letterList, solve: { b, w in [String(w.filter { $0 == b["x"]! }.count)] },
    wrong: { _, w, _ in [String(w.count)] }),
  TaskFamily(
    "distinct", .counting,
    definitions: [
      "how many different letters are in the list", "count the distinct items", "give the number of different items",
    ],
    explanation: "repeated letters are counted once", wrongExplanation: "repeated letters were counted again",
    generate: { _, g in g.letters() }, solve: { _, w in [String(Set(w).count)] },
    wrong: { _, w, _ in [String(w.count)] }),
  TaskFamily(
    "position", .counting, bindings: bindings("x", Lexicon.boundLetters),
    definitions: [
      "at which position is the first {x}", "give the place of the first {x}", "count up to the first {x}",
    ],
    explanation: "counting from 1 , the first {x} is there", wrongExplanation: "positions start at 1 , not 0",
    generate: { b, g in g.letters(containing: b["x"], chance: 1) },
    solve: { b, w in [String((w.firstIndex(of: b["x"]!) ?? 0) + 1)] },
    wrong: { b, w, _ in [String(w.firstIndex(of: b["x"]!) ?? 0)] }),
]

private func digitValues(_ w: [String]) -> [Int] { w.compactMap { Int($0) } }

private let arithmetic: [TaskFamily] = [
  TaskFamily(
    "sum", .arithmetic,
    definitions: ["add the digits", "give the sum of the numbers", "what do the digits add up to"],
    explanation: "adding all digits gives the answer", wrongExplanation: "the last digit was left out",
    generate: { _, g in g.digitList() }, solve: { _, w in [String(digitValues(w).reduce(0, +))] },
    wrong: { _, w, _ in [String(digitValues(w).dropLast().reduce(0, +))] }),
  TaskFamily(
    "max", .arithmetic,
    definitions: ["give the largest digit", "which number is the biggest", "write the maximum of the digits"],
    explanation: "no digit is larger", wrongExplanation: "this is the smallest digit",
    generate: { _, g in g.digitList(3...5) }, solve: { _, w in [String(digitValues(w).max()!)] },
    wrong: { _, w, _ in [String(digitValues(w).min()!)] }),
  TaskFamily(
    "min", .arithmetic,
    definitions: ["give the smallest digit", "which number is the smallest", "write the minimum of the digits"],
    explanation: "no digit is smaller", wrongExplanation: "this is the largest digit",
    generate: { _, g in g.digitList(3...5) }, solve: { _, w in [String(digitValues(w).min()!)] },
    wrong: { _, w, _ in [String(digitValues(w).max()!)] }),
  TaskFamily(
    "parity", .arithmetic, labels: ["even", "odd"],
    definitions: [
      "is the sum of the digits even or odd", "answer even or odd for the sum", "say whether the total is even or odd",
    ],
    explanation: "the sum decides", wrongExplanation: "the parity is the other one",
    generate: { _, g in g.digitList() }, solve: { _, w in [digitValues(w).reduce(0, +) % 2 == 0 ? "even" : "odd"] },
    wrong: { _, w, _ in [digitValues(w).reduce(0, +) % 2 == 0 ? "odd" : "even"] }),
  TaskFamily(
    "add", .arithmetic, bindings: bindings("k", numbers(1...9)),
    definitions: [
      "add {k} to each digit and keep the last digit", "increase every digit by {k} modulo 10",
      "shift each digit up by {k} , wrapping after 9",
    ],
    explanation: "each digit grew by {k} modulo 10", wrongExplanation: "the digits were decreased by {k}",
    generate: { _, g in g.digitList(2...4) },
    solve: { b, w in digitValues(w).map { String(($0 + Int(b["k"]!)!) % 10) } },
    wrong: { b, w, _ in digitValues(w).map { String(($0 + 10 - Int(b["k"]!)!) % 10) } }),
]

private let yesNo = ["yes", "no"]

private func yesNoFamily(
  _ name: String, bindings b: [TaskBinding] = [[:]], definitions: [String],
  generate: @escaping @Sendable (TaskBinding, inout SeededGenerator) -> [String],
  test: @escaping @Sendable (TaskBinding, [String]) -> Bool
) -> TaskFamily {
  TaskFamily(
    name, .classification, bindings: b, labels: yesNo, definitions: definitions,
    explanation: "the answer follows from the list", wrongExplanation: "the answer is the other label",
    generate: generate, solve: { b, w in [test(b, w) ? "yes" : "no"] },
    wrong: { b, w, _ in [test(b, w) ? "no" : "yes"] })
}

private let classification: [TaskFamily] = [
  yesNoFamily(
    "contains", bindings: bindings("x", Lexicon.boundLetters),
    definitions: [
      "does the list contain {x} ? answer yes or no", "is there a {x} in the list , yes or no",
      "answer yes if {x} appears and no otherwise",
    ],
    generate: { b, g in g.letters(containing: b["x"], chance: 0.5) }, test: { b, w in w.contains(b["x"]!) }),
  yesNoFamily(
    "starts-with", bindings: bindings("x", Lexicon.boundLetters),
    definitions: [
      "does the list start with {x} ? answer yes or no", "is the first item {x} , yes or no",
      "answer yes if the list begins with {x}",
    ],
    generate: { b, g in
      var w = g.letters()
      if g.int(0...1) == 0 { w[0] = b["x"]! }
      return w
    }, test: { b, w in w.first == b["x"]! }),
  yesNoFamily(
    "is-sorted",
    definitions: [
      "is the list in alphabetical order ? answer yes or no", "are the letters sorted , yes or no",
      "answer yes if the items are in order",
    ],
    generate: { _, g in
      let w = g.letters(3...5); return g.int(0...1) == 0 ? w.sorted() : w
    },
    test: { _, w in w == w.sorted() }),
  yesNoFamily(
    "all-distinct",
    definitions: [
      "are all items different ? answer yes or no", "is every letter unique , yes or no",
      "answer yes if each letter is different",
    ],
    generate: { _, g in g.letters(3...5) }, test: { _, w in Set(w).count == w.count }),
  yesNoFamily(
    "longer-than", bindings: bindings("k", numbers(3...6)),
    definitions: [
      "does the list have more than {k} items ? answer yes or no", "is the length above {k} , yes or no",
      "answer yes if there are more than {k} items",
    ],
    generate: { _, g in g.letters(2...8) }, test: { b, w in w.count > Int(b["k"]!)! }),
]

private let twoListFamilies: [TaskFamily] = [
  TaskFamily(
    "common", .twoLists,
    definitions: [
      "give the items of the first list that are also in the second", "write the letters both lists share",
      "keep the first list's items found in the second list",
    ],
    explanation: "these appear in both lists", wrongExplanation: "these appear only in the first list",
    generate: { _, g in g.letters(3...5) + ["|"] + g.letters(3...5) },
    solve: { _, w in
      let (a, b) = twoLists(w); return a.filter { b.contains($0) }
    },
    wrong: { _, w, _ in
      let (a, b) = twoLists(w); return a.filter { !b.contains($0) }
    }),
  TaskFamily(
    "minus", .twoLists,
    definitions: [
      "remove from the first list every item of the second", "give the first list without the second list's letters",
      "write the items only the first list has",
    ],
    explanation: "the second list's letters are taken out", wrongExplanation: "these are the shared letters",
    generate: { _, g in g.letters(3...5) + ["|"] + g.letters(2...4) },
    solve: { _, w in
      let (a, b) = twoLists(w); return a.filter { !b.contains($0) }
    },
    wrong: { _, w, _ in
      let (a, b) = twoLists(w); return a.filter { b.contains($0) }
    }),
  TaskFamily(
    "join", .twoLists,
    definitions: [
      "write the first list and then the second", "join the two lists", "put the second list after the first",
    ],
    explanation: "the second list follows the first", wrongExplanation: "the lists are in the wrong order",
    generate: { _, g in g.letters(2...4) + ["|"] + g.letters(2...4) },
    solve: { _, w in
      let (a, b) = twoLists(w); return a + b
    },
    wrong: { _, w, _ in
      let (a, b) = twoLists(w); return b + a
    }),
  TaskFamily(
    "longer", .twoLists, labels: ["first", "second", "same"],
    definitions: [
      "which list is longer ? answer first , second or same", "say first , second or same for the longer list",
      "compare the lengths : first , second or same",
    ],
    explanation: "the lengths decide", wrongExplanation: "the other list is longer",
    generate: { _, g in g.letters(2...5) + ["|"] + g.letters(2...5) },
    solve: { _, w in
      let (a, b) = twoLists(w); return [a.count > b.count ? "first" : a.count < b.count ? "second" : "same"]
    },
    wrong: { _, w, _ in
      let (a, b) = twoLists(w); return [a.count > b.count ? "second" : "first"]
    }),
]

private func noun(_ w: [String]) -> (noun: String, kind: String, colour: String, plural: String) {
  Lexicon.nouns.first { $0.noun == w.first } ?? Lexicon.nouns[0]
}

private let lexicon: [TaskFamily] = [
  TaskFamily(
    "kind", .lexicon, labels: Lexicon.kinds,
    definitions: [
      "what kind of thing is it ? answer animal , fruit , tool or vehicle",
      "name the group of the word : animal , fruit , tool or vehicle",
      "is it an animal , a fruit , a tool or a vehicle",
    ],
    explanation: "the word names that kind of thing", wrongExplanation: "it belongs to another group",
    generate: { _, g in [g.pick(Lexicon.nouns).noun] }, solve: { _, w in [noun(w).kind] },
    wrong: { _, w, g in [g.pick(Lexicon.kinds.filter { $0 != noun(w).kind })] }),
  TaskFamily(
    "colour", .lexicon,
    definitions: ["what colour is it", "give the usual colour of the thing", "name the colour of the word"],
    explanation: "that is its usual colour", wrongExplanation: "it usually has another colour",
    generate: { _, g in [g.pick(Lexicon.nouns).noun] }, solve: { _, w in [noun(w).colour] },
    wrong: { _, w, _ in [noun(w).colour == "red" ? "blue" : "red"] }),
  TaskFamily(
    "plural", .lexicon,
    definitions: ["give the plural of the word", "write the word for more than one", "what is the plural form"],
    explanation: "that is the plural", wrongExplanation: "an s was added where the plural is irregular",
    generate: { _, g in [g.pick(Lexicon.nouns).noun] }, solve: { _, w in [noun(w).plural] },
    wrong: { _, w, _ in [noun(w).noun + "s"] }),
  TaskFamily(
    "opposite", .lexicon,
    definitions: ["give the opposite of the word", "what is the opposite", "write the word that means the reverse"],
    explanation: "the two words are opposites", wrongExplanation: "this is the same word",
    generate: { _, g in
      let pair = g.pick(Lexicon.opposites); return [g.int(0...1) == 0 ? pair.0 : pair.1]
    },
    solve: { _, w in
      for (a, b) in Lexicon.opposites {
        if w.first == a { return [b] }
        if w.first == b { return [a] }
      }
      return w
    }, wrong: { _, w, _ in w }),
  TaskFamily(
    "is-kind", .lexicon, bindings: bindings("kind", Lexicon.kinds), labels: yesNo,
    definitions: [
      "is it a {kind} ? answer yes or no", "answer yes if the word is a {kind}",
      "does the word name a {kind} , yes or no",
    ],
    explanation: "the word's kind decides", wrongExplanation: "the answer is the other label",
    generate: { b, g in
      let pool = Lexicon.nouns.filter { ($0.kind == b["kind"]!) == (g.int(0...1) == 0) }
      return [g.pick(pool).noun]
    }, solve: { b, w in [noun(w).kind == b["kind"]! ? "yes" : "no"] },
    wrong: { b, w, _ in [noun(w).kind == b["kind"]! ? "no" : "yes"] }),
]

/// Sentence templates of the data-to-text family: one task each.
private let recordTemplates = [
  "name is age", "name has a pet", "name is age and has a pet", "the pet of name", "name owns a pet",
  "name , age , has a pet", "a pet lives with name", "name is age years old",
]

private let dataToText: [TaskFamily] = [
  TaskFamily(
    "record", .dataToText, bindings: bindings("t", recordTemplates),
    definitions: [
      "write the record as : {t}", "fill in the sentence {t} from the record", "turn the record into the words {t}",
    ],
    explanation: "the record's values replace name , age and pet",
    wrongExplanation: "the name and the pet are mixed up",
    generate: { _, g in
      ["name", g.pick(Lexicon.names), "|", "age", g.pick(numbers(2...9)), "|", "pet", g.pick(Lexicon.animals).noun]
    },
    solve: { b, w in
      b["t"]!.split(separator: " ").map { word in
        word == "name" ? w[1] : word == "age" ? w[4] : word == "pet" ? w[7] : String(word)
      }
    },
    wrong: { b, w, _ in
      b["t"]!.split(separator: " ").map { word in
        word == "name" ? w[7] : word == "age" ? w[4] : word == "pet" ? w[1] : String(word)
      }
    }),
  TaskFamily(
    "list-sentence", .dataToText,
    definitions: [
      "write the list as a sentence", "say what the list has in a sentence", "describe the items in words",
    ],
    explanation: "the items are joined with commas and and", wrongExplanation: "the last item is missing",
    generate: { _, g in g.letters(2...4) },
    solve: { _, w in ["the", "list", "has"] + w.dropLast().flatMap { [$0, ","] }.dropLast() + ["and", w.last!] },
    wrong: { _, w, _ in ["the", "list", "has"] + w.dropLast() }),
]

private let errorCorrection: [TaskFamily] = [
  TaskFamily(
    "fix-order", .errorCorrection,
    definitions: [
      "two neighbours of the sorted list were swapped ; fix it", "correct the one swap in the sorted list",
      "restore the alphabetical order",
    ],
    explanation: "swapping them back sorts the list", wrongExplanation: "the list still has a swap",
    generate: { _, g in
      var w = Array(Set(g.letters(4...6))).sorted()
      if w.count < 2 { w = ["a", "b", "c"] }
      let i = g.int(0...(w.count - 2))
      w.swapAt(i, i + 1)
      return w
    }, solve: { _, w in w.sorted() }, wrong: { _, w, _ in w }),
  TaskFamily(
    "fix-repeat", .errorCorrection,
    definitions: [
      "one item was written twice in a row ; remove the extra copy", "delete the doubled letter",
      "fix the list where a letter repeats",
    ],
    explanation: "the extra copy is gone", wrongExplanation: "both copies were removed",
    generate: { _, g in
      var w: [String] = []
      for _ in 0..<g.int(3...5) {
        var next = g.pick(Lexicon.letters)
        while next == w.last { next = g.pick(Lexicon.letters) }
        w.append(next)
      }
      let i = g.int(0...(w.count - 1))
      w.insert(w[i], at: i)
      return w
    },
    solve: { _, w in w.enumerated().filter { $0.offset == 0 || w[$0.offset - 1] != $0.element }.map(\.element) },
    wrong: { _, w, _ in
      w.enumerated().filter { i, x in !(i > 0 && w[i - 1] == x) && !(i + 1 < w.count && w[i + 1] == x) }.map(\.element)
    }),
  TaskFamily(
    "fix-agreement", .errorCorrection,
    definitions: [
      "fix the verb of the sentence", "correct the sentence so the verb agrees", "make the verb match the subject",
    ],
    explanation: "one animal takes the verb with s", wrongExplanation: "the verb is still wrong",
    generate: { _, g in
      let s = g.sentence()
      return ["the", Lexicon.animals[s.subject].noun, Lexicon.verbs[s.verb].0, "the", Lexicon.animals[s.object].noun]
    },
    solve: { _, w in
      var v = w
      if let verb = Lexicon.verbs.first(where: { $0.0 == w[2] }) { v[2] = verb.1 }
      return v
    }, wrong: { _, w, _ in w }),
]

private let sentenceFamilies: [TaskFamily] = [
  TaskFamily(
    "question", .sentences,
    definitions: [
      "turn the sentence into a yes or no question", "ask whether the sentence is true",
      "write the question form of the sentence",
    ],
    explanation: "does and the base verb make the question", wrongExplanation: "the verb kept its s",
    generate: { _, g in sentenceWords(g.sentence()) },
    solve: { _, w in
      guard let s = parseSentence(w) else { return w }
      return [
        "does", "the", Lexicon.animals[s.subject].noun, Lexicon.verbs[s.verb].0, "the", Lexicon.animals[s.object].noun,
        "?",
      ]
    }, wrong: { _, w, _ in ["does"] + w + ["?"] }),
  TaskFamily(
    "negate", .sentences,
    definitions: [
      "say that the sentence is not true", "write the negative of the sentence", "add not to the sentence",
    ],
    explanation: "does not and the base verb negate it", wrongExplanation: "not was added without does",
    generate: { _, g in sentenceWords(g.sentence()) },
    solve: { _, w in
      guard let s = parseSentence(w) else { return w }
      return [
        "the", Lexicon.animals[s.subject].noun, "does", "not", Lexicon.verbs[s.verb].0, "the",
        Lexicon.animals[s.object].noun,
      ]
    }, wrong: { _, w, _ in Array(w.prefix(2)) + ["not"] + Array(w.dropFirst(2)) }),
  TaskFamily(
    "past", .sentences,
    definitions: [
      "put the sentence in the past", "write what happened yesterday", "change the verb to the past tense",
    ],
    explanation: "the verb is in the past", wrongExplanation: "the verb is still in the present",
    generate: { _, g in sentenceWords(g.sentence()) },
    solve: { _, w in
      guard let s = parseSentence(w) else { return w }
      return ["the", Lexicon.animals[s.subject].noun, Lexicon.verbs[s.verb].2, "the", Lexicon.animals[s.object].noun]
    }, wrong: { _, w, _ in w }),
  TaskFamily(
    "swap-roles", .sentences,
    definitions: [
      "swap the subject and the object", "let the second animal do it to the first", "exchange the two animals",
    ],
    explanation: "the animals changed places", wrongExplanation: "the animals are in the same places",
    generate: { _, g in sentenceWords(g.sentence()) },
    solve: { _, w in
      guard let s = parseSentence(w) else { return w }
      return sentenceWords((s.object, s.verb, s.subject))
    }, wrong: { _, w, _ in w }),
  TaskFamily(
    "plural-subject", .sentences,
    definitions: [
      "make the subject plural", "let many of the first animal do it", "write the sentence with more than one subject",
    ],
    explanation: "a plural subject takes the base verb", wrongExplanation: "the verb kept its s",
    generate: { _, g in sentenceWords(g.sentence()) },
    solve: { _, w in
      guard let s = parseSentence(w) else { return w }
      return ["the", Lexicon.animals[s.subject].plural, Lexicon.verbs[s.verb].0, "the", Lexicon.animals[s.object].noun]
    },
    wrong: { _, w, _ in
      guard let s = parseSentence(w) else { return w }
      return ["the", Lexicon.animals[s.subject].plural, Lexicon.verbs[s.verb].1, "the", Lexicon.animals[s.object].noun]
    }),
]
