import Foundation
import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM

extension InstructionTuningPlugin {
  /// `workbench generate` on an instruction-tuning run: the lecture's "serendipity" slide. The base
  /// model continues the encoded instruction and input, the tuned model answers them, side by side,
  /// with the run's own tokenizer (the suite's words, or the BPE file of an SNI run).
  public func generate(_ request: GenerationRequest, run: FinishedRun<Config>, source: GenerationSource) throws
    -> [String]?
  {
    let key = run.key.prefix(8)
    guard let instruction = request.instruction, let input = request.input else {
      throw GenerationError(
        .wrongOptions, "run \(key) is instruction-tuned: give --instruction and --input (not --prompt)")
    }
    guard let tuned = source.artifact("checkpoint") else {
      throw GenerationError(.missingFile, "run \(key) has no checkpoint (it is \(run.status.rawValue)); run it again")
    }
    let encoding = try Self.encoding(request.encoding)
    let config = run.config
    let text = encoding.prompt(definition: instruction, input: input)
    let tokenizer: any AnswerTokenizer
    if config.sni != nil {
      // Super-NaturalInstructions runs: the BPE tokenizer stored with the run.
      if let file = source.artifact("tokenizer") {
        tokenizer = try BPETokenizer(contentsOf: file)
      } else if (config.tokenizer ?? TokenizerSettings()).kind == "byte" {
        tokenizer = BPETokenizer(merges: [])
      } else {
        throw GenerationError(.missingFile, "run \(key) lists no tokenizer file among its artifacts; run it again")
      }
    } else {
      let words = InstructionTuning.data(config.suiteSeed).tokenizer
      let unknown = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init).filter {
        words.encode($0) == [1]
      }
      if !unknown.isEmpty {
        FileHandle.standardError.write(
          Data("words outside the suite's vocabulary (read as <unk>): \(unknown.joined(separator: ", "))\n".utf8))
      }
      tokenizer = words
    }
    let prompt = [tokenizer.endOfTextID] + tokenizer.encode(text)
    let vocabulary = tokenizer.vocabulary
    var answers: [(String, String)] = []
    for (label, url) in [("base model", source.artifact("base-checkpoint")), ("tuned model", tuned)] {
      guard let url else { continue }
      let file = try CheckpointFile(url)
      let shape = file.header.model
      guard shape.vocabulary == vocabulary else {
        throw GenerationError(
          .mismatch, "\(url.path): the model's vocabulary (\(shape.vocabulary)) is not the tokenizer's (\(vocabulary))")
      }
      let limit = max(1, min(request.maxTokens, shape.context - 1 - min(prompt.count, shape.context - 2)))
      let kept = SNIData.fit(prompt, budget: shape.context - 1 - limit)
      let model = try file.model(on: source.backend()).model
      let output = try GreedyDecoder(model: model, batch: 1).decode(
        [kept], maxTokens: limit, stop: tokenizer.endOfTextID)[0]
      answers.append((label, tokenizer.decode(output)))
    }
    let width = max(12, answers.map(\.0.count).max() ?? 0)
    return [text]
      + answers.map { label, answer in
        label.padding(toLength: width, withPad: " ", startingAt: 0) + "│ "
          + answer.replacingOccurrences(of: "\n", with: " ⏎ ")
      }
  }

  /// `--encoding` as the user spelled it (absent: definition only).
  static func encoding(_ spelled: String?) throws -> InstructionEncoding {
    guard let spelled else { return .definition }
    guard let encoding = InstructionEncoding(rawValue: spelled) else {
      throw GenerationError(
        .wrongOptions,
        "--encoding \(spelled): not a prompt layout; one of "
          + InstructionEncoding.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return encoding
  }
}

/// What answering an instruction needs of a tokenizer: the suite's word tokenizer and the BPE of
/// an SNI run both provide it.
protocol AnswerTokenizer {
  var endOfTextID: Int32 { get }
  var vocabulary: Int { get }
  func encode(_ text: String) -> [Int32]
  func decode(_ ids: [Int32]) -> String
}

extension BPETokenizer: AnswerTokenizer {}
extension WordTokenizer: AnswerTokenizer {}
