import ArgumentParser
import Foundation
import WorkbenchFiles
import WorkbenchInstructions
import WorkbenchKit
import WorkbenchLM

struct ScoreCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract: "Score a prediction against references with Super-NaturalInstructions' metrics.",
    discussion: """
      Exactly as SNI's evaluation computes them: ROUGE-L F-measure with rouge_score's tokenizer and
      NLTK's Porter stemmer, and exact match after SNI's normalisation; with several references
      the best one counts. Examples:
        workbench score rouge-l --prediction "the friends had a meeting" --reference "The friend has meetings"
        workbench score exact-match --prediction "Yes." --reference yes --reference no
        workbench score sni --predictions predictions.jsonl --references references.jsonl
      """,
    subcommands: [RougeL.self, ExactMatch.self, SNI.self])

  struct SNI: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "sni",
      abstract: "Score a predictions.jsonl against a references.jsonl as SNI's official evaluation does.",
      discussion: """
        The files are those of Super-NaturalInstructions' eval/automatic/evaluation.py: one
        {"id", "prediction"} per line, and one {"id", "references", "task_id", "task_category",
        "track"} per line. Prints what the official script prints for the default track (exact
        match and ROUGE-L ×100, overall, per category and per task, rounded to 4 decimals); a
        missing prediction counts as the empty string. Every workbench run on SNI keeps such a
        pair as artifacts; predictions made elsewhere score the same way. Lines of the xlingual
        track (ROUGE-L over GPT-2 tokens) are counted and left out.
        """)
    @Option(help: "predictions.jsonl: one {\"id\", \"prediction\"} per line.") var predictions: String
    @Option(help: "references.jsonl: one {\"id\", \"references\", \"task_id\", \"task_category\", \"track\"} per line.")
    var references: String
    @Option(help: "Also write the official output file (JSON, keys ending in _default_track).") var outputFile: String?
    @Flag(help: "Print the output file's JSON instead of the report.") var json = false

    func run() throws {
      let refs = try SNIFiles.readReferences(URL(fileURLWithPath: references))
      let preds = try SNIFiles.readPredictions(URL(fileURLWithPath: predictions))
      let scores = SNIScores(references: refs, predictions: preds)
      guard scores.instances > 0 else {
        throw CommandError("\(references): no reference line of the default track (xlingual is not scored here)")
      }
      if let outputFile {
        do {
          try Data(scores.json.utf8).writeAtomically(to: URL(fileURLWithPath: outputFile))
        } catch {
          throw CommandError("\(outputFile): cannot be written (\((error as NSError).localizedDescription))")
        }
      }
      print(json ? scores.json : scores.report)
      if scores.otherTracks > 0 {
        writeStandardErrorLine(
          "\(scores.otherTracks) reference lines of other tracks (xlingual: ROUGE-L over GPT-2 tokens) were not scored")
      }
    }
  }

  struct Inputs: ParsableArguments {
    @Option(help: "The model's answer.") var prediction: String
    @Option(help: "A correct answer (repeat for several).") var reference: [String] = []

    func validate() throws {
      if reference.isEmpty { throw ValidationError("give at least one --reference") }
    }
  }

  struct RougeL: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "rouge-l", abstract: "ROUGE-L F-measure ×100 (max over references), with the tokens compared.")
    @OptionGroup var inputs: Inputs
    @Flag(help: "Compare unstemmed tokens.") var noStemmer = false

    func run() throws {
      let stem = !noStemmer
      var best = (score: -1.0, reference: "")
      for reference in inputs.reference {
        let score = InstructionMetrics.rougeL(prediction: inputs.prediction, reference: reference, stem: stem)
        let tokens = InstructionMetrics.rougeTokens(reference, stem: stem).joined(separator: " ")
        print(
          String(
            format: "reference %@  [%@]  P %.4f  R %.4f  F %.4f", "\"\(reference)\"", tokens, score.precision,
            score.recall, score.f))
        if score.f > best.score { best = (score.f, reference) }
      }
      print("prediction [\(InstructionMetrics.rougeTokens(inputs.prediction, stem: stem).joined(separator: " "))]")
      print(String(format: "ROUGE-L %.4f", best.score * 100))
    }
  }

  struct ExactMatch: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "exact-match", abstract: "Exact match ×100 after SNI's normalisation (any reference).")
    @OptionGroup var inputs: Inputs

    func run() throws {
      let normalized = InstructionMetrics.normalizeAnswer(inputs.prediction)
      print("prediction \"\(normalized)\"")
      for reference in inputs.reference { print("reference  \"\(InstructionMetrics.normalizeAnswer(reference))\"") }
      let score = InstructionMetrics.exactMatch(prediction: inputs.prediction, references: inputs.reference)
      print(String(format: "exact match %.0f", score * 100))
    }
  }
}
