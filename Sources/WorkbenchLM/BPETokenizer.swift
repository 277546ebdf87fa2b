import Foundation
import Synchronization
import WorkbenchErrors

/// A byte-level byte-pair-encoding tokenizer (Sennrich et al. 2016; GPT-2's byte-level form):
/// ids 0–255 are the bytes, 256 is `<eos>`, and each later id is a merge of two earlier ones,
/// learnt from a text by repeatedly joining its most frequent adjacent pair. Any bytes encode
/// (there is no unknown token) and decode back to themselves. Text is first cut into pieces —
/// a run of letters (bytes ≥ 0x80 count as letters), of digits, of other symbols, each with the
/// space before it, or a run of white space — and merges never cross a piece.
public struct BPETokenizer: Sendable, Equatable {
  public static let endOfText: Int32 = 256
  /// The ids below the first merge: 256 bytes and `<eos>`.
  public static let baseVocabulary = 257

  /// The merges in the order they were learnt: merge `i` makes id `257 + i`.
  public let merges: [Pair]
  private let ranks: [Pair: Int32]
  private let pieces: [[UInt8]]

  public struct Pair: Hashable, Sendable, Comparable {
    public let left: Int32
    public let right: Int32
    public init(_ left: Int32, _ right: Int32) {
      self.left = left
      self.right = right
    }
    public static func < (a: Pair, b: Pair) -> Bool { (a.left, a.right) < (b.left, b.right) }
  }

  public var vocabulary: Int { Self.baseVocabulary + merges.count }
  public var endOfTextID: Int32 { Self.endOfText }

  public static func == (a: BPETokenizer, b: BPETokenizer) -> Bool { a.merges == b.merges }

  /// A tokenizer with these merges (each pair made of earlier ids).
  public init(merges: [Pair]) {
    self.merges = merges
    var ranks: [Pair: Int32] = [:]
    var pieces: [[UInt8]] = (0..<256).map { [UInt8($0)] } + [[]]
    for (i, pair) in merges.enumerated() {
      ranks[pair] = Int32(Self.baseVocabulary + i)
      pieces.append(pieces[Int(pair.left)] + pieces[Int(pair.right)])
    }
    self.ranks = ranks
    self.pieces = pieces
  }

  /// The bytes token `id` stands for (`<eos>`: none).
  public func bytes(of id: Int32) -> [UInt8] { id >= 0 && Int(id) < pieces.count ? pieces[Int(id)] : [] }

  // MARK: Pieces

  private static func kind(_ b: UInt8) -> Int {
    switch b {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), 0x80...0xFF: 0
    case UInt8(ascii: "0")...UInt8(ascii: "9"): 1
    case 0x20: 2
    case 0x09, 0x0A, 0x0B, 0x0C, 0x0D: 3
    default: 4
    }
  }

  /// Cuts bytes into the pieces merges stay within, calling `body` with each one's range.
  static func forEachPiece(_ bytes: [UInt8], _ body: (Range<Int>) -> Void) {
    var i = 0
    let n = bytes.count
    while i < n {
      let start = i
      var k = kind(bytes[i])
      if k == 2, i + 1 < n, kind(bytes[i + 1]) != 2, kind(bytes[i + 1]) != 3 {
        // A space joins the word after it.
        i += 1
        k = kind(bytes[i])
      }
      if k >= 2 && k <= 3 {
        // White space; the last space before a word is left for that word.
        while i < n, kind(bytes[i]) == 2 || kind(bytes[i]) == 3 {
          if kind(bytes[i]) == 2, i > start, i + 1 < n, kind(bytes[i + 1]) != 2, kind(bytes[i + 1]) != 3 { break }
          i += 1
        }
      } else {
        while i < n, kind(bytes[i]) == k { i += 1 }
      }
      body(start..<i)
    }
  }

  // MARK: Training

  /// Learns merges from `texts` until the vocabulary holds `vocabulary` ids or no pair occurs
  /// twice. Deterministic: the most frequent pair wins, ties go to the smaller pair of ids.
  public static func train(texts: [String], vocabulary: Int) -> BPETokenizer {
    var counts: [[UInt8]: Int] = [:]
    for text in texts {
      let bytes = Array(text.utf8)
      forEachPiece(bytes) { counts[Array(bytes[$0]), default: 0] += 1 }
    }
    // Words in a fixed order, so that nothing depends on dictionary order.
    let sorted = counts.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    var words = sorted.map { $0.key.map(Int32.init) }
    let frequency = sorted.map(\.value)
    var pairCounts: [Pair: Int] = [:]
    var where_: [Pair: [Int]] = [:]
    for (w, word) in words.enumerated() where word.count > 1 {
      for j in 0..<(word.count - 1) {
        let p = Pair(word[j], word[j + 1])
        pairCounts[p, default: 0] += frequency[w]
        where_[p, default: []].append(w)
      }
    }
    var merges: [Pair] = []
    var lengths = [Int](repeating: 1, count: baseVocabulary)
    while baseVocabulary + merges.count < vocabulary {
      var best: (pair: Pair, count: Int)?
      for (pair, count) in pairCounts where count >= 2 {
        if lengths[Int(pair.left)] + lengths[Int(pair.right)] > maxTokenBytes { continue }
        if let b = best, count < b.count || (count == b.count && !(pair < b.pair)) { continue }
        best = (pair, count)
      }
      guard let (pair, _) = best else { break }
      let id = Int32(baseVocabulary + merges.count)
      merges.append(pair)
      lengths.append(lengths[Int(pair.left)] + lengths[Int(pair.right)])
      var visited = Set<Int>()
      for w in where_[pair] ?? [] where visited.insert(w).inserted {
        let word = words[w]
        let f = frequency[w]
        for j in 0..<(word.count - 1) { pairCounts[Pair(word[j], word[j + 1])]! -= f }
        let merged = merging(word, pair, into: id)
        words[w] = merged
        if merged.count > 1 {
          for j in 0..<(merged.count - 1) {
            let p = Pair(merged[j], merged[j + 1])
            pairCounts[p, default: 0] += f
            if merged[j] == id || merged[j + 1] == id { where_[p, default: []].append(w) }
          }
        }
      }
      pairCounts[pair] = nil
      where_[pair] = nil
    }
    return BPETokenizer(merges: merges)
  }

  /// `symbols` with every occurrence of `pair`, left to right, replaced by `id`.
  static func merging(_ symbols: [Int32], _ pair: Pair, into id: Int32) -> [Int32] {
    var merged: [Int32] = []
    merged.reserveCapacity(symbols.count)
    var j = 0
    while j < symbols.count {
      if j + 1 < symbols.count, symbols[j] == pair.left, symbols[j + 1] == pair.right {
        merged.append(id)
        j += 2
      } else {
        merged.append(symbols[j])
        j += 1
      }
    }
    return merged
  }

  // MARK: Encoding

  /// The ids of one piece: its bytes, merged lowest rank first.
  func encodePiece(_ bytes: ArraySlice<UInt8>) -> [Int32] {
    var symbols = bytes.map(Int32.init)
    while symbols.count > 1 {
      var best: (rank: Int32, at: Int)?
      for j in 0..<(symbols.count - 1) {
        if let rank = ranks[Pair(symbols[j], symbols[j + 1])], best == nil || rank < best!.rank { best = (rank, j) }
      }
      guard let (rank, _) = best else { break }
      symbols = Self.merging(symbols, merges[Int(rank) - Self.baseVocabulary], into: rank)
    }
    return symbols
  }

  /// The ids of any bytes.
  public func encode(bytes: [UInt8]) -> [Int32] {
    var out: [Int32] = []
    out.reserveCapacity(bytes.count / 2)
    Self.forEachPiece(bytes) { out += encodePiece(bytes[$0]) }
    return out
  }

  /// The ids of the UTF-8 bytes of `text`.
  public func encode(_ text: String) -> [Int32] { encode(bytes: Array(text.utf8)) }

  /// The bytes of `tokens` up to the first `<eos>`.
  public func decodeBytes(_ tokens: [Int32]) -> [UInt8] {
    var out: [UInt8] = []
    for t in tokens {
      if t == Self.endOfText { break }
      out += bytes(of: t)
    }
    return out
  }

  /// The text of `tokens` up to the first `<eos>` (bytes that are not UTF-8 become U+FFFD).
  public func decode(_ tokens: [Int32]) -> String { String(decoding: decodeBytes(tokens), as: UTF8.self) }

  // MARK: File

  static let magic = "workbench-bpe 1"
  /// The longest token a tokenizer file may hold, in bytes (training on text makes tokens no
  /// longer than its words).
  public static let maxTokenBytes = 4096

  /// The tokenizer as a text file: a header, one merge per line (`left right`), and a CRC-32C of
  /// everything before the last line.
  public func serialized() -> Data {
    var text = "\(Self.magic)\nvocabulary \(vocabulary)\nmerges \(merges.count)\n"
    for m in merges { text += "\(m.left) \(m.right)\n" }
    var data = Data(text.utf8)
    data += Data(String(format: "checksum %08x\n", Checkpoint.checksum(data[...])).utf8)
    return data
  }

  /// Reads a tokenizer file written by `serialized()`; `file` names it in errors.
  public init(data: Data, file: String) throws(BPEFileError) {
    func fail(_ line: Int?, _ what: String) -> BPEFileError {
      BPEFileError(.malformed, "\(file)\(line.map { ":\($0)" } ?? ""): \(what)")
    }
    guard data.starts(with: Data((Self.magic + "\n").utf8)) else {
      throw fail(nil, "not a workbench BPE tokenizer file (it should start with '\(Self.magic)')")
    }
    guard data.last == 0x0A, let cut = data.dropLast().lastIndex(of: 0x0A) else {
      throw fail(nil, "truncated: no checksum line at the end")
    }
    let body = data[data.startIndex...cut]
    let last = String(decoding: data[(cut + 1)...].dropLast(), as: UTF8.self)
    guard last.hasPrefix("checksum "), let stored = UInt32(last.dropFirst(9), radix: 16), last.count == 17 else {
      throw fail(nil, "truncated or damaged: the last line should be 'checksum XXXXXXXX'")
    }
    guard Checkpoint.checksum(body) == stored else {
      throw fail(nil, "damaged: its bytes no longer match the checksum written with them")
    }
    let lines = String(decoding: body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
      .dropLast()
    guard lines.count >= 3, lines[1].hasPrefix("vocabulary "), lines[2].hasPrefix("merges "),
      let vocabulary = Int(lines[1].dropFirst(11)), let count = Int(lines[2].dropFirst(7))
    else { throw fail(2, "expected 'vocabulary N' and 'merges M' lines") }
    guard count >= 0, count == lines.count - 3, vocabulary == Self.baseVocabulary + count else {
      throw fail(3, "the header's counts do not match the \(lines.count - 3) merge lines")
    }
    var merges: [Pair] = []
    merges.reserveCapacity(count)
    // Token lengths, so that a file of merges of merges cannot ask for exponentially long tokens.
    var lengths = [Int](repeating: 1, count: Self.baseVocabulary)
    lengths[Int(Self.endOfText)] = 0
    for (i, line) in lines.dropFirst(3).enumerated() {
      let parts = line.split(separator: " ", omittingEmptySubsequences: false)
      let limit = Int32(Self.baseVocabulary + i)
      guard parts.count == 2, let a = Int32(parts[0]), let b = Int32(parts[1]), a >= 0, b >= 0, a < limit, b < limit,
        a != Self.endOfText, b != Self.endOfText
      else {
        throw fail(i + 4, "a merge must be two ids of earlier tokens (below \(limit), not <eos>), not '\(line)'")
      }
      let length = lengths[Int(a)] + lengths[Int(b)]
      guard length <= Self.maxTokenBytes else {
        throw fail(i + 4, "this merge makes a token of \(length) bytes; tokens are at most \(Self.maxTokenBytes)")
      }
      lengths.append(length)
      merges.append(Pair(a, b))
    }
    self.init(merges: merges)
  }

  /// Reads a tokenizer file.
  public init(contentsOf url: URL) throws(BPEFileError) {
    guard let data = FileManager.default.contents(atPath: url.path) else {
      throw BPEFileError(.unreadable, "\(url.path): the tokenizer file cannot be read")
    }
    try self.init(data: data, file: url.path)
  }
}

/// Why a tokenizer file cannot be used (one line naming the file).
public typealias BPEFileError = CodedError<BPEFileErrorCode>

/// `unreadable`: the file cannot be read; `malformed`: its contents are not a tokenizer.
public enum BPEFileErrorCode: String, ErrorCodes { case unreadable, malformed }

/// A `BPETokenizer` that remembers the ids of every piece it has encoded (text with repeated
/// words encodes several times faster); safe to share between threads.
public final class CachingBPEEncoder: Sendable {
  public let tokenizer: BPETokenizer
  private let cache = Mutex<[[UInt8]: [Int32]]>([:])
  /// Pieces remembered at most (then the cache starts over).
  static let capacity = 1 << 18

  public init(_ tokenizer: BPETokenizer) { self.tokenizer = tokenizer }

  public func encode(_ text: String) -> [Int32] {
    let bytes = Array(text.utf8)
    var out: [Int32] = []
    out.reserveCapacity(bytes.count / 2)
    BPETokenizer.forEachPiece(bytes) { range in
      // Keys are copies: a slice would keep the whole text it came from alive.
      let piece = Array(bytes[range])
      if let ids = cache.withLock({ $0[piece] }) {
        out += ids
      } else {
        let ids = tokenizer.encodePiece(piece[...])
        cache.withLock {
          if $0.count >= Self.capacity { $0.removeAll(keepingCapacity: true) }
          $0[piece] = ids
        }
        out += ids
      }
    }
    return out
  }
}
