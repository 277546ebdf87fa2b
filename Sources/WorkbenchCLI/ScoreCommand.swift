import ArgumentParser
import Foundation
import WorkbenchInstructions
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
      """,
    subcommands: [RougeL.self, ExactMatch.self])

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
        emit(
          String(
            format: "reference %@  [%@]  P %.4f  R %.4f  F %.4f", "\"\(reference)\"", tokens, score.precision,
            score.recall, score.f))
        if score.f > best.score { best = (score.f, reference) }
      }
      emit("prediction [\(InstructionMetrics.rougeTokens(inputs.prediction, stem: stem).joined(separator: " "))]")
      emit(String(format: "ROUGE-L %.4f", best.score * 100))
    }
  }

  struct ExactMatch: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "exact-match", abstract: "Exact match ×100 after SNI's normalisation (any reference).")
    @OptionGroup var inputs: Inputs

    func run() throws {
      let normalized = InstructionMetrics.normalizeAnswer(inputs.prediction)
      emit("prediction \"\(normalized)\"")
      for reference in inputs.reference { emit("reference  \"\(InstructionMetrics.normalizeAnswer(reference))\"") }
      let score = InstructionMetrics.exactMatch(prediction: inputs.prediction, references: inputs.reference)
      emit(String(format: "exact match %.0f", score * 100))
    }
  }
}
