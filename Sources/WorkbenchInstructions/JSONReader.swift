import Foundation
import WorkbenchErrors

/// A JSON value as Super-NaturalInstructions' files hold them. Objects keep their keys in file
/// order; numbers are doubles (NaN and ±Infinity included: Python's `json` writes and reads them,
/// and some task files contain `NaN`).
public indirect enum JSONNode: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONNode])
  case object([(key: String, value: JSONNode)])

  public static func == (a: JSONNode, b: JSONNode) -> Bool {
    switch (a, b) {
    case (.null, .null): true
    case (.bool(let x), .bool(let y)): x == y
    case (.number(let x), .number(let y)): x == y || (x.isNaN && y.isNaN)
    case (.string(let x), .string(let y)): x == y
    case (.array(let x), .array(let y)): x == y
    case (.object(let x), .object(let y)): x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
    default: false
    }
  }

  /// The value of `key` in an object (the last one where a key repeats, as Python keeps).
  public subscript(key: String) -> JSONNode? {
    guard case .object(let members) = self else { return nil }
    return members.last { $0.key == key }?.value
  }

  public var string: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var array: [JSONNode]? {
    if case .array(let a) = self { return a }
    return nil
  }

  /// What the value is, for error messages: "a string", "an object", ….
  public var kind: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "a list"
    case .object: "an object"
    }
  }
}

/// Why bytes are not JSON, with the line and column (1-based, columns in bytes) where reading stopped.
public struct JSONReadError: WorkbenchError {
  /// `syntax`: not JSON at that position (truncated text included); `tooDeep`: nested deeper than
  /// the reader follows.
  public enum Code: String, ErrorCodes { case syntax, tooDeep }
  public let code: Code
  public let line: Int
  public let column: Int
  public let message: String

  public var description: String { "line \(line), column \(column): \(message)" }
}

/// A strict JSON reader (RFC 8259, plus Python's `NaN`, `Infinity` and `-Infinity`) that reports
/// the position of the first error. Nesting deeper than `maxDepth` is refused rather than
/// recursed into, so hostile input cannot exhaust the stack.
public struct JSONReader {
  public static let maxDepth = 512

  private let bytes: [UInt8]
  private var i = 0

  private init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// The one value `data` holds (surrounding whitespace allowed).
  public static func parse(_ data: Data) throws(JSONReadError) -> JSONNode {
    var reader = JSONReader([UInt8](data))
    // As Python's `json` does: a byte-order mark is not JSON.
    if reader.bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
      throw reader.error("the text starts with a byte-order mark (U+FEFF), which JSON readers such as Python's refuse")
    }
    reader.skipSpace()
    let value = try reader.value(depth: 0)
    reader.skipSpace()
    guard reader.i == reader.bytes.count else { throw reader.error("unexpected text after the JSON value") }
    return value
  }

  public static func parse(_ text: String) throws(JSONReadError) -> JSONNode { try parse(Data(text.utf8)) }

  private func error(_ message: String, at offset: Int? = nil, code: JSONReadError.Code = .syntax) -> JSONReadError {
    let end = min(offset ?? i, bytes.count)
    var line = 1
    var lineStart = 0
    for k in 0..<end where bytes[k] == 0x0A {
      line += 1
      lineStart = k + 1
    }
    return JSONReadError(code: code, line: line, column: end - lineStart + 1, message: message)
  }

  private mutating func skipSpace() {
    while i < bytes.count {
      switch bytes[i] {
      case 0x20, 0x0A, 0x0D, 0x09: i += 1
      default: return
      }
    }
  }

  private mutating func value(depth: Int) throws(JSONReadError) -> JSONNode {
    guard depth < Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels", code: .tooDeep) }
    guard i < bytes.count else { throw error("the file ends where a value should be (truncated?)") }
    switch bytes[i] {
    case UInt8(ascii: "{"): return try object(depth: depth)
    case UInt8(ascii: "["): return try array(depth: depth)
    case UInt8(ascii: "\""): return .string(try string())
    case UInt8(ascii: "t"): try literal("true"); return .bool(true)
    case UInt8(ascii: "f"): try literal("false"); return .bool(false)
    case UInt8(ascii: "n"): try literal("null"); return .null
    case UInt8(ascii: "N"): try literal("NaN"); return .number(.nan)
    case UInt8(ascii: "I"): try literal("Infinity"); return .number(.infinity)
    case UInt8(ascii: "-") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "I"):
      i += 1
      try literal("Infinity")
      return .number(-.infinity)
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
    default: throw error("unexpected character \(describe(bytes[i])) where a value should be")
    }
  }

  private func describe(_ byte: UInt8) -> String {
    (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : String(format: "0x%02X", byte)
  }

  private mutating func literal(_ word: String) throws(JSONReadError) {
    let w = Array(word.utf8)
    if i + w.count > bytes.count, Array(bytes[i...]) == Array(w.prefix(bytes.count - i)) {
      throw error("the file ends inside '\(word)' (truncated?)")
    }
    guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else {
      throw error("unexpected character \(describe(bytes[i])) where a value should be")
    }
    i += w.count
  }

  private mutating func object(depth: Int) throws(JSONReadError) -> JSONNode {
    i += 1
    var members: [(key: String, value: JSONNode)] = []
    if closes("}") { return .object(members) }
    while true {
      skipSpace()
      guard i < bytes.count else { throw error("the file ends inside an object (truncated?)") }
      guard bytes[i] == UInt8(ascii: "\"") else { throw error("expected a quoted key, found \(describe(bytes[i]))") }
      let key = try string()
      skipSpace()
      guard i < bytes.count else { throw error("the file ends inside an object (truncated?)") }
      guard bytes[i] == UInt8(ascii: ":") else { throw error("expected ':' after the key \"\(key)\"") }
      i += 1
      skipSpace()
      members.append((key, try value(depth: depth + 1)))
      if try nextOrEnd("}", "an object") { return .object(members) }
    }
  }

  private mutating func array(depth: Int) throws(JSONReadError) -> JSONNode {
    i += 1
    var items: [JSONNode] = []
    if closes("]") { return .array(items) }
    while true {
      skipSpace()
      items.append(try value(depth: depth + 1))
      if try nextOrEnd("]", "a list") { return .array(items) }
    }
  }

  /// After an opening bracket: whether `close` follows at once (an empty object or list), and
  /// if so steps past it.
  private mutating func closes(_ close: Unicode.Scalar) -> Bool {
    skipSpace()
    guard i < bytes.count && bytes[i] == UInt8(ascii: close) else { return false }
    i += 1
    return true
  }

  /// After a member or an item of `inside`: steps past a comma (false: another follows) or past
  /// `close` (true: the object or list ends); anything else is an error naming what was expected.
  private mutating func nextOrEnd(_ close: Unicode.Scalar, _ inside: String) throws(JSONReadError) -> Bool {
    skipSpace()
    guard i < bytes.count else { throw error("the file ends inside \(inside) (truncated?)") }
    if bytes[i] == UInt8(ascii: ",") {
      i += 1
      return false
    }
    guard bytes[i] == UInt8(ascii: close) else { throw error("expected ',' or '\(close)' in \(inside)") }
    i += 1
    return true
  }

  private mutating func number() throws(JSONReadError) -> Double {
    let start = i
    if bytes[i] == UInt8(ascii: "-") { i += 1 }
    func digits(_ i: inout Int, _ bytes: [UInt8]) -> Int {
      let s = i
      while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) { i += 1 }
      return i - s
    }
    let integer = digits(&i, bytes)
    guard integer > 0 else { throw error("a number needs digits", at: start) }
    if integer > 1 && bytes[i - integer] == UInt8(ascii: "0") { throw error("a number cannot start with 0", at: start) }
    if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
      i += 1
      guard digits(&i, bytes) > 0 else { throw error("a number needs digits after '.'") }
    }
    if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
      i += 1
      if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
      guard digits(&i, bytes) > 0 else { throw error("a number needs digits in its exponent") }
    }
    let text = String(decoding: bytes[start..<i], as: UTF8.self)
    guard let value = Double(text) else { throw error("'\(text)' is not a number", at: start) }
    return value
  }

  private mutating func hex4() throws(JSONReadError) -> UInt32 {
    guard i + 4 <= bytes.count else { throw error("the file ends inside a \\u escape (truncated?)") }
    var value: UInt32 = 0
    for _ in 0..<4 {
      let b = bytes[i]
      let digit: UInt8
      switch b {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
      default: throw error("\\u needs four hex digits")
      }
      value = value << 4 | UInt32(digit)
      i += 1
    }
    return value
  }

  private mutating func string() throws(JSONReadError) -> String {
    let start = i
    i += 1
    var out: [UInt8] = []
    var plain = i
    while true {
      guard i < bytes.count else { throw error("the file ends inside a string (truncated?)", at: start) }
      let b = bytes[i]
      if b == UInt8(ascii: "\"") {
        out += bytes[plain..<i]
        i += 1
        break
      }
      if b < 0x20 { throw error("a control character (\(describe(b))) inside a string must be escaped") }
      if b != UInt8(ascii: "\\") {
        i += 1
        continue
      }
      out += bytes[plain..<i]
      i += 1
      guard i < bytes.count else { throw error("the file ends inside a string (truncated?)", at: start) }
      let e = bytes[i]
      i += 1
      switch e {
      case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try hex4()
        if (0xD800...0xDBFF).contains(scalar), i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"),
          bytes[i + 1] == UInt8(ascii: "u")
        {
          let save = i
          i += 2
          let low = try hex4()
          if (0xDC00...0xDFFF).contains(low) {
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
          } else {
            i = save
          }
        }
        // A lone surrogate (Python keeps it; UTF-8 cannot) becomes U+FFFD.
        out += Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
      default: throw error("unknown escape \\\(Character(Unicode.Scalar(e)))")
      }
      plain = i
    }
    // Text must be UTF-8 (Python reads the files as UTF-8 and stops at a bad byte).
    guard let text = String(validating: out, as: UTF8.self) else {
      throw error("a string holds bytes that are not UTF-8", at: start)
    }
    return text
  }
}

extension JSONNode {
  /// The value as JSON text on one line (keys in order, non-ASCII kept, NaN as Python writes it).
  public var text: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let x):
      if x.isNaN { return "NaN" }
      if x.isInfinite { return x > 0 ? "Infinity" : "-Infinity" }
      if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
      return "\(x)"
    case .string(let s): return Self.quoted(s)
    case .array(let items): return "[" + items.map(\.text).joined(separator: ", ") + "]"
    case .object(let members):
      return "{" + members.map { Self.quoted($0.key) + ": " + $0.value.text }.joined(separator: ", ") + "}"
    }
  }

  /// `s` as a JSON string literal; with `ascii`, every non-ASCII character escaped as Python's
  /// `json.dumps` does by default (`\u00e9`, surrogate pairs beyond the BMP).
  public static func quoted(_ s: String, ascii: Bool = false) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
      case _ where ascii && scalar.value > 0x7E:
        for unit in String(scalar).utf16 { out += String(format: "\\u%04x", unit) }
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}
