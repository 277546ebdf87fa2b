import WorkbenchRandom

/// The families of workbench's instruction suite (version 2): operations on short lists of
/// letters whose arguments — letters, letter pairs, letter sets — are written into the
/// definition, so that most families hold thousands of distinct instructions (Zhang, Wang &
/// Charton 2024 find that a model tuned on fewer than about 400 distinct instructions does not
/// follow unseen ones, and one tuned on a thousand or more does). The operations follow real SNI
/// tasks over lists and strings (replace a letter, remove or keep values, is an element present,
/// count, move to the front), each made a template with free parameters.
enum Lexicon {
  /// The letters lists are made of and bindings are drawn from: sixteen, so that a list rarely
  /// repeats a letter and a model can copy it by following each letter's successor.
  static let letters = (0..<16).map { String(UnicodeScalar(UInt8(97 + $0))) }
  static let digits = (0...9).map(String.init)
  /// Words of the pretraining text beside the letters, digits and the families' definitions.
  static let textWords = ["and", "make", ",", "."]
}

extension SeededGenerator {
  /// A list of `count` random letters.
  mutating func letters(_ count: ClosedRange<Int> = 5...9) -> [String] {
    (0..<int(count)).map { _ in pick(Lexicon.letters) }
  }

  /// A list of letters none of which is in `excluded`.
  mutating func letters(_ count: ClosedRange<Int>, avoiding excluded: Set<String>) -> [String] {
    let pool = Lexicon.letters.filter { !excluded.contains($0) }
    return (0..<int(count)).map { _ in pick(pool) }
  }

  /// `list` with `words` written in at a random position, in order and side by side.
  mutating func plant(_ words: [String], in list: [String]) -> [String] {
    var list = list
    let at = int(0...max(0, list.count - words.count))
    for (i, word) in words.enumerated() {
      if at + i < list.count { list[at + i] = word } else { list.append(word) }
    }
    return list
  }

  /// `list` with each of `words` written over a distinct random position (the list grows when
  /// it is too short).
  mutating func scatter(_ words: [String], in list: [String]) -> [String] {
    var list = list
    while list.count < words.count { list.append(pick(Lexicon.letters)) }
    let positions = Array(list.indices).shuffled(using: &self).prefix(words.count)
    for (word, position) in zip(words, positions) { list[position] = word }
    return list
  }

  mutating func coin(_ p: Double) -> Bool { nextUnit() < p }
}

private let letters = Lexicon.letters
private let setKeys = ["s1", "s2", "s3", "s4"]
private func set(_ b: TaskBinding) -> [String] { setKeys.compactMap { b[$0] } }
private func distinct(_ t: [Int]) -> Bool { Set(t).count == t.count }
/// The items of `w` that are (or, with `keeping: false`, are not) letters of the binding's set.
private func members(_ b: TaskBinding, of w: [String], keeping: Bool) -> [String] {
  let s = Set(set(b))
  return w.filter { s.contains($0) == keeping }
}

/// The index of the first occurrence of `pattern` in `words`, side by side.
private func find(_ pattern: [String], in words: [String]) -> Int? {
  guard !pattern.isEmpty, words.count >= pattern.count else { return nil }
  return (0...(words.count - pattern.count)).first { Array(words[$0..<($0 + pattern.count)]) == pattern }
}

/// Every family of the suite, in a fixed order.
let taskCatalogue: [TaskFamily] = rewriting + filtering + classification + counting + ordering

/// The family of each category that is never tuned on (the unseen-family tier).
let heldOutFamilyNames: Set<String> = ["surround", "drop-pairs", "starts-or-ends", "count-before"]

private let rewriting: [TaskFamily] = [
  TaskFamily(
    "replace-pair", .rewriting,
    space: .tuples(["x1", "x2", "y1", "y2"], of: letters) { t in t[0] != t[1] && (t[2], t[3]) != (t[0], t[1]) },
    definitions: [
      "replace the first {x1} {x2} with {y1} {y2}", "change the leftmost {x1} {x2} into {y1} {y2}",
      "find the first {x1} {x2} and write {y1} {y2} in its place",
    ],
    explanation: "the first {x1} {x2} became {y1} {y2} and the rest is unchanged",
    wrongExplanation: "the pair was replaced by {y2} {y1} instead of {y1} {y2}",
    generate: { b, g in
      let list = g.letters(5...9)
      return g.coin(0.8) ? g.plant([b["x1"]!, b["x2"]!], in: list) : list
    },
    solve: { b, w in
      guard let at = find([b["x1"]!, b["x2"]!], in: w) else { return w }
      var out = w
      out[at] = b["y1"]!
      out[at + 1] = b["y2"]!
      return out
    },
    wrong: { b, w, _ in
      guard let at = find([b["x1"]!, b["x2"]!], in: w) else { return w + [b["y1"]!] }
      var out = w
      out[at] = b["y2"]!
      out[at + 1] = b["y1"]!
      return out
    }),
  TaskFamily(
    "replace-two", .rewriting,
    space: .tuples(["x", "y", "z", "w"], of: letters) { t in t[0] != t[2] && t[1] != t[0] && t[3] != t[2] },
    definitions: [
      "replace each {x} with {y} and each {z} with {w}", "write {y} for every {x} and {w} for every {z}",
      "change every {x} into {y} and every {z} into {w}",
    ],
    explanation: "each {x} became {y} and each {z} became {w}",
    wrongExplanation: "only the {x} items were changed",
    generate: { b, g in
      var list = g.letters(5...8)
      if g.coin(0.8) { list = g.scatter([b["x"]!], in: list) }
      if g.coin(0.8) { list = g.scatter([b["z"]!], in: list) }
      return list
    },
    solve: { b, w in w.map { $0 == b["x"]! ? b["y"]! : $0 == b["z"]! ? b["w"]! : $0 } },
    wrong: { b, w, _ in w.map { $0 == b["x"]! ? b["y"]! : $0 } }),
  TaskFamily(
    "surround", .rewriting,
    space: .tuples(["x", "y", "z"], of: letters) { t in t[1] != t[0] && t[2] != t[0] },
    definitions: [
      "put {y} before and {z} after each {x}", "write {y} in front of every {x} and {z} behind it",
      "surround each {x} with {y} on the left and {z} on the right",
    ],
    explanation: "every {x} now stands between {y} and {z}", wrongExplanation: "{y} and {z} are on the wrong sides",
    generate: { b, g in
      let list = g.letters(4...6)
      return g.coin(0.8) ? g.scatter([b["x"]!], in: list) : list
    },
    solve: { b, w in w.flatMap { $0 == b["x"]! ? [b["y"]!, $0, b["z"]!] : [$0] } },
    wrong: { b, w, _ in w.flatMap { $0 == b["x"]! ? [b["z"]!, $0, b["y"]!] : [$0] } }),
]

/// A family that keeps (or removes) the letters of the binding's set from a list of 5–9 letters
/// holding `scattered` of them; its wrong answer is the other filter's.
private func setFilter(
  _ name: String, keeping: Bool, scattered: ClosedRange<Int>, definitions: [String], explanation: String,
  wrongExplanation: String
) -> TaskFamily {
  TaskFamily(
    name, .filtering, space: .sets(setKeys, of: letters), definitions: definitions, explanation: explanation,
    wrongExplanation: wrongExplanation,
    generate: { b, g in g.scatter(Array(set(b).shuffled(using: &g).prefix(g.int(scattered))), in: g.letters(5...9)) },
    solve: { b, w in members(b, of: w, keeping: keeping) },
    wrong: { b, w, _ in members(b, of: w, keeping: !keeping) })
}

private let filtering: [TaskFamily] = [
  setFilter(
    "remove-set", keeping: false, scattered: 0...3,
    definitions: [
      "remove every {s1} , {s2} , {s3} and {s4} from the list", "delete each {s1} , {s2} , {s3} or {s4}",
      "write the list without the letters {s1} , {s2} , {s3} and {s4}",
    ],
    explanation: "the letters {s1} , {s2} , {s3} and {s4} are gone and the order is kept",
    wrongExplanation: "only those letters were kept instead"),
  setFilter(
    "keep-set", keeping: true, scattered: 1...4,
    definitions: [
      "keep only the letters {s1} , {s2} , {s3} and {s4}", "write each {s1} , {s2} , {s3} or {s4} and nothing else",
      "remove every letter except {s1} , {s2} , {s3} and {s4}",
    ],
    explanation: "only {s1} , {s2} , {s3} and {s4} remain , in their order",
    wrongExplanation: "those letters were removed instead of kept"),
  TaskFamily(
    "drop-pairs", .filtering,
    space: .tuples(["x", "y"], of: letters) { t in t[0] != t[1] },
    definitions: [
      "delete each {x} {y} that stands side by side", "remove every {x} that is followed by {y} , and that {y}",
      "write the list without the pairs {x} {y}",
    ],
    explanation: "every {x} {y} next to each other is gone", wrongExplanation: "the pair {y} {x} was removed instead",
    generate: { b, g in
      let list = g.letters(5...8)
      return g.coin(0.8) ? g.plant([b["x"]!, b["y"]!], in: list) : list
    },
    solve: { b, w in
      var out: [String] = []
      var i = 0
      while i < w.count {
        if i + 1 < w.count && w[i] == b["x"]! && w[i + 1] == b["y"]! {
          i += 2
        } else {
          out.append(w[i])
          i += 1
        }
      }
      return out
    },
    wrong: { b, w, _ in w.filter { $0 != b["x"]! } }),
]

private let yesNo = ["yes", "no"]
private let counts = (0...4).map(String.init)

private let classification: [TaskFamily] = [
  TaskFamily(
    "contains-sequence", .classification,
    space: .tuples(["x", "y", "z"], of: letters) { distinct($0) }, labels: yesNo,
    definitions: [
      "does {x} {y} {z} appear in the list side by side ? answer yes or no",
      "is there a {x} followed by {y} and then {z} , yes or no",
      "answer yes if the list contains {x} {y} {z} in a row and no otherwise",
    ],
    explanation: "the answer says whether {x} {y} {z} occurs in a row",
    wrongExplanation: "the answer is the other label",
    generate: { b, g in
      let (x, y, z) = (b["x"]!, b["y"]!, b["z"]!)
      let list = g.letters(6...9)
      switch g.int(0...3) {
      case 0, 1: return g.plant([x, y, z], in: list)
      case 2: return g.plant(g.coin(0.5) ? [x, y, g.pick(letters)] : [g.pick(letters), y, z], in: list)
      default: return list
      }
    },
    solve: { b, w in [find([b["x"]!, b["y"]!, b["z"]!], in: w) != nil ? "yes" : "no"] },
    wrong: { b, w, _ in [find([b["x"]!, b["y"]!, b["z"]!], in: w) != nil ? "no" : "yes"] }),
  TaskFamily(
    "contains-all", .classification, space: .sets(setKeys, of: letters), labels: yesNo,
    definitions: [
      "does the list contain every one of {s1} , {s2} , {s3} and {s4} ? answer yes or no",
      "are {s1} , {s2} , {s3} and {s4} all in the list , yes or no",
      "answer yes if each of {s1} , {s2} , {s3} and {s4} appears and no otherwise",
    ],
    explanation: "the answer says whether all four letters appear", wrongExplanation: "the answer is the other label",
    generate: { b, g in
      let members = set(b).shuffled(using: &g)
      return g.scatter(Array(members.prefix(g.coin(0.5) ? 4 : g.int(2...3))), in: g.letters(6...9))
    },
    solve: { b, w in [Set(set(b)).isSubset(of: w) ? "yes" : "no"] },
    wrong: { b, w, _ in [Set(set(b)).isSubset(of: w) ? "no" : "yes"] }),
  TaskFamily(
    "starts-or-ends", .classification,
    space: .tuples(["x", "y"], of: letters) { _ in true }, labels: yesNo,
    definitions: [
      "does the list start with {x} or end with {y} ? answer yes or no",
      "is the first item {x} or the last item {y} , yes or no",
      "answer yes if the list begins with {x} or finishes with {y}",
    ],
    explanation: "the answer looks at the first and the last item", wrongExplanation: "the answer is the other label",
    generate: { b, g in
      var list = g.letters(4...7)
      switch g.int(0...3) {
      case 0: list[0] = b["x"]!
      case 1: list[list.count - 1] = b["y"]!
      default: break
      }
      return list
    },
    solve: { b, w in [w.first == b["x"]! || w.last == b["y"]! ? "yes" : "no"] },
    wrong: { b, w, _ in [w.first == b["x"]! || w.last == b["y"]! ? "no" : "yes"] }),
]

private let counting: [TaskFamily] = [
  TaskFamily(
    "how-many-of", .counting, space: .sets(setKeys, of: letters), labels: counts,
    definitions: [
      "how many of the letters {s1} , {s2} , {s3} and {s4} are in the list ?",
      "count which of {s1} , {s2} , {s3} and {s4} appear in the list",
      "give the number of letters among {s1} , {s2} , {s3} and {s4} that occur",
    ],
    explanation: "each of the four letters that occurs counts once", wrongExplanation: "this counts the other letters",
    generate: { b, g in
      let members = set(b).shuffled(using: &g)
      let present = Array(members.prefix(g.int(0...4)))
      return g.scatter(present, in: g.letters(5...8, avoiding: Set(members)))
    },
    solve: { b, w in [String(Set(set(b)).intersection(w).count)] },
    wrong: { b, w, _ in [String(min(4, Set(w).subtracting(set(b)).count))] }),
  TaskFamily(
    "count-set", .counting, space: .sets(setKeys, of: letters), labels: counts,
    definitions: [
      "how many items of the list are {s1} , {s2} , {s3} or {s4} ?",
      "count the items that are {s1} , {s2} , {s3} or {s4}",
      "give the number of times {s1} , {s2} , {s3} or {s4} occurs in the list",
    ],
    explanation: "every item that is one of the four letters counts", wrongExplanation: "repeated letters counted once",
    generate: { b, g in
      let members = set(b)
      let chosen = (0..<g.int(0...4)).map { _ in g.pick(members) }
      return g.scatter(chosen, in: g.letters(4...8, avoiding: Set(members)))
    },
    solve: { b, w in
      let s = Set(set(b))
      return [String(w.filter { s.contains($0) }.count)]
    },
    wrong: { b, w, _ in [String(Set(set(b)).intersection(w).count)] }),
  TaskFamily(
    "count-before", .counting, space: .values("x", letters), labels: counts,
    definitions: [
      "how many items come before the first {x} ?", "count the items ahead of the first {x}",
      "give the number of letters in front of the first {x}",
    ],
    explanation: "the items before the first {x} are counted", wrongExplanation: "this counts the items after it",
    generate: { b, g in
      var list = g.letters(1...4, avoiding: [b["x"]!])
      list.insert(b["x"]!, at: g.int(0...min(4, list.count)))
      return list + g.letters(0...3)
    },
    solve: { b, w in [String(w.firstIndex(of: b["x"]!) ?? w.count)] },
    wrong: { b, w, _ in [String(w.count - 1 - (w.firstIndex(of: b["x"]!) ?? 0))] }),
]

private let ordering: [TaskFamily] = [
  TaskFamily(
    "to-front", .ordering,
    space: .tuples(["x", "y"], of: letters) { t in t[0] != t[1] },
    definitions: [
      "move every {x} and then every {y} to the front",
      "write the {x} items first , then the {y} items , then the rest",
      "bring each {x} and each {y} to the start of the list",
    ],
    explanation: "the {x} items lead , the {y} items follow , the rest keeps its order",
    wrongExplanation: "{x} and {y} went to the end",
    generate: { b, g in g.scatter([b["x"]!, b["y"]!], in: g.letters(4...7)) },
    solve: { b, w in
      w.filter { $0 == b["x"]! } + w.filter { $0 == b["y"]! } + w.filter { $0 != b["x"]! && $0 != b["y"]! }
    },
    wrong: { b, w, _ in
      w.filter { $0 != b["x"]! && $0 != b["y"]! } + w.filter { $0 == b["x"]! } + w.filter { $0 == b["y"]! }
    }),
  TaskFamily(
    "swap", .ordering,
    space: .tuples(["x", "y"], of: letters) { t in t[0] < t[1] },
    definitions: [
      "swap each {x} with {y}", "write {y} for every {x} and {x} for every {y}",
      "exchange the letters {x} and {y} wherever they occur",
    ],
    explanation: "{x} and {y} traded places", wrongExplanation: "only the {x} items changed",
    generate: { b, g in g.scatter([b["x"]!, b["y"]!], in: g.letters(4...7)) },
    solve: { b, w in w.map { $0 == b["x"]! ? b["y"]! : $0 == b["y"]! ? b["x"]! : $0 } },
    wrong: { b, w, _ in w.map { $0 == b["x"]! ? b["y"]! : $0 } }),
]
