/// The Porter stemmer exactly as NLTK's `PorterStemmer()` computes it (its default
/// NLTK_EXTENSIONS mode), which is what ROUGE-L with stemming uses in Super-NaturalInstructions'
/// evaluation. NLTK's mode differs from Porter's 1980 algorithm in a few places, each marked
/// below: a table of irregular forms, words of one or two letters left alone, `-ies`/`-ied` on
/// four-letter words, `y → i` only after a consonant that is not the first letter, `alli` tried
/// before the other step-2 rules, and the `fulli` and `logi` rules.
///
/// Words are ASCII (letters and digits: ROUGE's tokens); a digit counts as a consonant, as in NLTK.
public struct PorterStemmer: Sendable {
  public init() {}

  /// NLTK's table of irregular forms: word → stem.
  static let irregular: [String: String] = [
    "sky": "sky", "skies": "sky", "dying": "die", "lying": "lie", "tying": "tie", "news": "news",
    "innings": "inning", "inning": "inning", "outings": "outing", "outing": "outing", "cannings": "canning",
    "canning": "canning", "howe": "howe", "proceed": "proceed", "exceed": "exceed", "succeed": "succeed",
  ]

  public func stem(_ word: String) -> String {
    let lower = word.lowercased()
    if let form = Self.irregular[lower] { return form }
    let bytes = Array(lower.utf8)
    guard bytes.count > 2 else { return lower }  // NLTK: one- and two-letter words stay
    var w = Word(bytes)
    w.step1a()
    w.step1b()
    w.step1c()
    w.step2()
    w.step3()
    w.step4()
    w.step5a()
    w.step5b()
    return String(decoding: w.letters, as: UTF8.self)
  }
}

/// A word being stemmed, as ASCII bytes.
private struct Word {
  var letters: [UInt8]

  init(_ letters: [UInt8]) { self.letters = letters }

  // MARK: letters and measures

  static func isConsonant(_ w: ArraySlice<UInt8>, _ i: Int) -> Bool {
    switch w[w.startIndex + i] {
    case UInt8(ascii: "a"), UInt8(ascii: "e"), UInt8(ascii: "i"), UInt8(ascii: "o"), UInt8(ascii: "u"): return false
    case UInt8(ascii: "y"): return i == 0 ? true : !isConsonant(w, i - 1)
    default: return true
    }
  }

  /// m: the number of vowel-consonant sequences, [C](VC)^m[V].
  static func measure(_ w: ArraySlice<UInt8>) -> Int {
    var m = 0
    var previousVowel = false
    for i in 0..<w.count {
      let consonant = isConsonant(w, i)
      if consonant && previousVowel { m += 1 }
      previousVowel = !consonant
    }
    return m
  }

  static func containsVowel(_ w: ArraySlice<UInt8>) -> Bool { (0..<w.count).contains { !isConsonant(w, $0) } }

  static func endsDoubleConsonant(_ w: ArraySlice<UInt8>) -> Bool {
    w.count >= 2 && w[w.endIndex - 1] == w[w.endIndex - 2] && isConsonant(w, w.count - 1)
  }

  /// *o: consonant-vowel-consonant at the end, the last not w, x or y — or (NLTK) a two-letter
  /// vowel-consonant word.
  static func endsCVC(_ w: ArraySlice<UInt8>) -> Bool {
    let n = w.count
    if n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1) {
      let last = w[w.endIndex - 1]
      return last != UInt8(ascii: "w") && last != UInt8(ascii: "x") && last != UInt8(ascii: "y")
    }
    return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1)
  }

  func ends(_ suffix: String) -> Bool {
    let s = Array(suffix.utf8)
    return letters.count >= s.count && letters.suffix(s.count).elementsEqual(s)
  }

  func stem(removing suffix: String) -> ArraySlice<UInt8> { letters.dropLast(suffix.utf8.count) }

  // MARK: rules

  enum Condition {
    case none, positiveMeasure, measureAbove1
    case custom((ArraySlice<UInt8>) -> Bool)

    func holds(_ stem: ArraySlice<UInt8>) -> Bool {
      switch self {
      case .none: return true
      case .positiveMeasure: return Word.measure(stem) > 0
      case .measureAbove1: return Word.measure(stem) > 1
      case .custom(let test): return test(stem)
      }
    }
  }

  /// NLTK's rule list: the first rule whose suffix matches decides — it applies when its
  /// condition holds, and otherwise the word stays as it is.
  mutating func apply(_ rules: [(String, String, Condition)]) {
    for (suffix, replacement, condition) in rules where ends(suffix) {
      let stem = stem(removing: suffix)
      if condition.holds(stem) { letters = Array(stem) + Array(replacement.utf8) }
      return
    }
  }

  mutating func step1a() {
    if ends("ies") && letters.count == 4 {  // NLTK: 'dies' → 'die' (but 'flies' → 'fli')
      letters = Array(stem(removing: "ies")) + Array("ie".utf8)
      return
    }
    apply([("sses", "ss", .none), ("ies", "i", .none), ("ss", "ss", .none), ("s", "", .none)])
  }

  mutating func step1b() {
    if ends("ied") {  // NLTK: 'died' → 'die', 'spied' → 'spi'
      letters = Array(stem(removing: "ied")) + Array((letters.count == 4 ? "ie" : "i").utf8)
      return
    }
    if ends("eed") {
      let stem = stem(removing: "eed")
      if Word.measure(stem) > 0 { letters = Array(stem) + Array("ee".utf8) }
      return
    }
    var intermediate: ArraySlice<UInt8>?
    for suffix in ["ed", "ing"] where ends(suffix) {
      let stem = stem(removing: suffix)
      if Word.containsVowel(stem) {
        intermediate = stem
        break
      }
    }
    guard let intermediate else { return }
    letters = Array(intermediate)
    if ends("at") || ends("bl") || ends("iz") {
      letters.append(UInt8(ascii: "e"))
    } else if Word.endsDoubleConsonant(letters[...]) {
      let last = letters[letters.count - 1]
      if last != UInt8(ascii: "l") && last != UInt8(ascii: "s") && last != UInt8(ascii: "z") { letters.removeLast() }
    } else if Word.measure(letters[...]) == 1 && Word.endsCVC(letters[...]) {
      letters.append(UInt8(ascii: "e"))
    }
  }

  mutating func step1c() {
    // NLTK: y → i only after a consonant, and not when that consonant is the whole stem.
    apply([("y", "i", .custom { $0.count > 1 && Word.isConsonant($0, $0.count - 1) })])
  }

  mutating func step2() {
    // NLTK: 'alli' → 'al' first, and the result goes through step 2 again.
    if ends("alli") && Word.measure(stem(removing: "alli")) > 0 {
      letters = Array(stem(removing: "alli")) + Array("al".utf8)
      step2()
      return
    }
    let whole = letters
    apply([
      ("ational", "ate", .positiveMeasure), ("tional", "tion", .positiveMeasure), ("enci", "ence", .positiveMeasure),
      ("anci", "ance", .positiveMeasure), ("izer", "ize", .positiveMeasure), ("bli", "ble", .positiveMeasure),
      ("alli", "al", .positiveMeasure), ("entli", "ent", .positiveMeasure), ("eli", "e", .positiveMeasure),
      ("ousli", "ous", .positiveMeasure), ("ization", "ize", .positiveMeasure), ("ation", "ate", .positiveMeasure),
      ("ator", "ate", .positiveMeasure), ("alism", "al", .positiveMeasure), ("iveness", "ive", .positiveMeasure),
      ("fulness", "ful", .positiveMeasure), ("ousness", "ous", .positiveMeasure), ("aliti", "al", .positiveMeasure),
      ("iviti", "ive", .positiveMeasure), ("biliti", "ble", .positiveMeasure),
      ("fulli", "ful", .positiveMeasure),  // NLTK
      // NLTK: the 'l' of 'logi' counts with the stem, so 'geo', 'theo' … qualify.
      ("logi", "log", .custom { _ in Word.measure(whole.dropLast(3)) > 0 }),
    ])
  }

  mutating func step3() {
    apply([
      ("icate", "ic", .positiveMeasure), ("ative", "", .positiveMeasure), ("alize", "al", .positiveMeasure),
      ("iciti", "ic", .positiveMeasure), ("ical", "ic", .positiveMeasure), ("ful", "", .positiveMeasure),
      ("ness", "", .positiveMeasure),
    ])
  }

  mutating func step4() {
    apply([
      ("al", "", .measureAbove1), ("ance", "", .measureAbove1), ("ence", "", .measureAbove1),
      ("er", "", .measureAbove1), ("ic", "", .measureAbove1), ("able", "", .measureAbove1),
      ("ible", "", .measureAbove1), ("ant", "", .measureAbove1), ("ement", "", .measureAbove1),
      ("ment", "", .measureAbove1), ("ent", "", .measureAbove1),
      (
        "ion", "",
        .custom {
          Word.measure($0) > 1 && ($0.last == UInt8(ascii: "s") || $0.last == UInt8(ascii: "t"))
        }
      ),
      ("ou", "", .measureAbove1), ("ism", "", .measureAbove1), ("ate", "", .measureAbove1),
      ("iti", "", .measureAbove1), ("ous", "", .measureAbove1), ("ive", "", .measureAbove1),
      ("ize", "", .measureAbove1),
    ])
  }

  mutating func step5a() {
    guard ends("e") else { return }
    let stem = stem(removing: "e")
    let m = Word.measure(stem)
    if m > 1 || (m == 1 && !Word.endsCVC(stem)) { letters = Array(stem) }
  }

  mutating func step5b() {
    let whole = letters
    apply([("ll", "l", .custom { _ in Word.measure(whole.dropLast()) > 1 })])
  }
}
