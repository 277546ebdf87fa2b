import ArgumentParser
import Foundation
import WorkbenchFit
import WorkbenchKit

/// Heaps' law, V = K·N^β: the number of distinct words V in the first N words of a text grows as
/// a power of N with β below 1 (Heaps 1978; β ≈ 0.4–0.6 for English prose). Each run counts V
/// at one N; the analysis fits K and β with workbench's pure power-law fit (least squares on log V).
///
/// A plugin built outside workbench's repository: it imports WorkbenchKit (and ArgumentParser for
/// the command it adds), never the run log.
public struct HeapsLawPlugin: ExperimentPlugin {
  public typealias Config = HeapsLawConfig

  public static let id = "heaps-law"
  public static let version = "1"
  public static let summary = "Distinct words V against words read N in a text; fits Heaps' law V = K N^beta"
  /// `workbench words PATH`: the word and vocabulary counts of a text.
  public static var commands: [any ParsableCommand.Type] { [WordsCommand.self] }

  public init() {}

  public func plan(_ config: Config, seed: Int) throws -> [RunSpec<Config>] {
    guard config.words > 0 else { throw ConfigIssue(["words"], "must be at least 1 word") }
    guard !config.text.isEmpty else { throw ConfigIssue(["text"], "must name a file or a folder") }
    return [RunSpec(config: config, seed: seed)]
  }

  public func execute(_ run: RunSpec<Config>, context: RunContext) throws -> RunSummary {
    let words = try Text.words(at: run.config.text)
    guard words.count >= run.config.words else {
      throw HeapsLawError(
        .tooShort, "\(run.config.text) has \(words.count) words, fewer than words: \(run.config.words)")
    }
    let read = words.prefix(run.config.words)
    let vocabulary = Set(read).count
    try context.log(.vocabulary, step: read.count, value: Double(vocabulary), tokens: read.count)
    context.progress(step: 1, of: 1)
    return RunSummary(D: Int64(read.count))
  }

  public func analyze(_ runs: [FinishedRun<Config>], context: AnalysisContext) throws {
    var table = TextTable(["N (words)", "V (distinct)", "V/N"])
    var N: [Double] = []
    var V: [Double] = []
    for run in runs.sorted(by: { $0.config.words < $1.config.words }) {
      guard let vocabulary = try context.metrics(of: run, .vocabulary).last?.value else { continue }
      table.append([
        String(run.config.words), String(Int(vocabulary)),
        String(format: "%.3f", vocabulary / Double(run.config.words)),
      ])
      N.append(Double(run.config.words))
      V.append(vocabulary)
    }
    context.print(table.render())
    // V = K·N^β is a pure power law A·N^(−alpha) with A = K, alpha = −β.
    // No fit (nil) from fewer than two distinct values of N.
    guard let fit = PowerLaw.fit(x: N, y: V) else {
      context.print("\(context.experimentName): a fit of Heaps' law needs runs at 2 or more values of words")
      return
    }
    context.print(
      String(format: "Heaps' law: V = %.3g · N^%.3f  (R² %.4f over %d runs)", fit.A, -fit.alpha, fit.r2, N.count))
    try context.storeFit(
      form: "heaps", parameters: ["K": fit.A, "beta": -fit.alpha], options: ["metric": MetricName.vocabulary.name],
      runs: runs, pointCount: N.count, objective: fit.objective, r2: fit.r2)
  }
}

/// The experiment file's keys, declared once each.
public struct HeapsLawConfig: ConfigSection, Equatable {
  public var text = ""
  public var words = 0

  public init() {}

  public static var fields: [ConfigField<Self>] {
    [
      .required("text", \.text, "a text file, or a folder whose .md and .txt files are read in name order"),
      .required("words", \.words, sweepable: true, "how many words to read (N); a list sweeps over N"),
    ]
  }
}

extension MetricName {
  /// Distinct words among the first N (the step is N).
  static let vocabulary = MetricName("heaps.vocabulary")
}

/// A text that cannot be used as asked.
typealias HeapsLawError = CodedError<HeapsLawErrorCode>

/// `missing`: no such file or folder; `unreadable`: a file cannot be read; `tooShort`: the text has
/// fewer words than asked.
enum HeapsLawErrorCode: String, ErrorCodes { case missing, unreadable, tooShort }

/// Words of a text: maximal runs of letters and digits, lower-cased.
enum Text {
  static func words(at path: String) throws -> [String] {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
      throw HeapsLawError(.missing, "\(path): no such file or folder")
    }
    let files =
      isFolder.boolValue
      ? try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".md") || $0.hasSuffix(".txt") }
        .sorted().map { (path as NSString).appendingPathComponent($0) }
      : [path]
    var words: [String] = []
    for file in files {
      guard let data = FileManager.default.contents(atPath: file) else {
        throw HeapsLawError(.unreadable, "\(file): cannot be read")
      }
      let text = String(decoding: data, as: UTF8.self).lowercased()
      words += text.split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }
    return words
  }
}

/// `workbench words PATH`: a command the plugin adds to workbench.
struct WordsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "words", abstract: "Count the words and distinct words of a text (heaps-law plugin).")

  @Argument(help: "A text file, or a folder of .md and .txt files.") var path: String

  func run() throws {
    let words = try Text.words(at: path)
    print("\(words.count) words, \(Set(words).count) distinct")
  }
}
