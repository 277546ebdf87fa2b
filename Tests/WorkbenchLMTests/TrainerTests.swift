import Foundation
import Testing
import WorkbenchLM
import WorkbenchNN
import WorkbenchTensor
import WorkbenchTestSupport

private let tinyModel = GPTConfig(layers: 2, width: 32, heads: 4, context: 32)

private func markovData(bytes: Int = 200_000) throws -> TokenData {
  let chain = MarkovCorpus(alphabet: 8, concentration: 0.5, seed: 3)
  return try TokenData(
    corpus: TextCorpus(bytes: chain.generate(count: bytes, seed: 1), name: "markov"), context: 32, batch: 8)
}

private func trainingConfig(steps: Int) -> TrainingConfig {
  TrainingConfig(
    batch: 8, steps: steps, optimizer: AdamW(schedule: .cosine(peak: 3e-3, warmup: 20)), evalEvery: 50, evalWindows: 16,
    logEvery: 10, seed: 7)
}

@Suite(.serialized) struct TrainerTests {
  let folder = TemporaryDirectory()

  /// Stopped at a logging step (100), and between two (105: the checkpoint carries the partial
  /// window of training losses, so the mean logged at 110 is the straight run's).
  @Test(arguments: [100, 105]) func resumedRunRepeatsTheStraightRunBitForBit(stopAt: Int) throws {
    let data = try markovData()
    func trace(_ trainer: Trainer, checkpoint: URL? = nil) throws -> [Double] {
      var losses: [Double] = []
      _ = try trainer.run(checkpoint: checkpoint) { event in
        if case .trainLoss(_, let loss, _) = event { losses.append(loss) }
        if case .validationLoss(_, let loss, _) = event { losses.append(loss) }
      }
      return losses
    }
    let straight = try trace(
      try Trainer(model: GPT(tinyModel, on: CPUBackend.shared, seed: 1), data: data, config: trainingConfig(steps: 200))
    )

    let checkpoint = folder.url.appendingPathComponent("half.ckpt")
    // The first part runs with the full run's schedule, stopped at `stopAt` right after a checkpoint.
    let first = try Trainer(
      model: GPT(tinyModel, on: CPUBackend.shared, seed: 1), data: data, config: trainingConfig(steps: 200))
    var firstTrace: [Double] = []
    do {
      _ = try first.run(checkpoint: nil) { event in
        switch event {
        case .trainLoss(_, let loss, _), .validationLoss(_, let loss, _): firstTrace.append(loss)
        case .progress(let step, _, _, _) where step == stopAt:
          try first.saveCheckpoint(to: checkpoint)
          throw CancellationError()
        default: break
        }
      }
    } catch is CancellationError {}
    let second = try Trainer(
      model: GPT(tinyModel, on: CPUBackend.shared, seed: 99), data: data, config: trainingConfig(steps: 200),
      resume: checkpoint)
    #expect(second.step == stopAt)
    let secondTrace = try trace(second)
    #expect(firstTrace + secondTrace == straight)
    #expect(straight.count == 24)
  }

  @Test func lossFallsTowardTheEntropyOfAMarkovChain() throws {
    let chain = MarkovCorpus(alphabet: 8, concentration: 0.5, seed: 3)
    let data = try markovData()
    let trainer = try Trainer(
      model: GPT(tinyModel, on: CPUBackend.shared, seed: 1), data: data, config: trainingConfig(steps: 300))
    let result = try trainer.run { _ in }
    // Uniform guessing over bytes costs ln 256 = 5.55 nats; the chain's floor is its entropy rate.
    #expect(
      result.finalValidationLoss < chain.entropyRate + 0.35,
      "val \(result.finalValidationLoss) vs H \(chain.entropyRate)")
    #expect(result.finalValidationLoss > chain.entropyRate - 0.05)
  }

  @Test func divergenceStopsTheRun() throws {
    let data = try markovData()
    var config = trainingConfig(steps: 50)
    config.optimizer = AdamW(schedule: .constant(peak: 1e6), clipNorm: nil)
    let trainer = try Trainer(model: GPT(tinyModel, on: CPUBackend.shared, seed: 1), data: data, config: config)
    #expect(throws: TrainingDiverged.self) { try trainer.run { _ in } }
  }
}

@Suite struct DataTests {
  let folder = TemporaryDirectory()

  @Test func markovEntropyRateIsExact() {
    // A two-state chain with P = [[0.9, 0.1], [0.5, 0.5]]: π = (5/6, 1/6).
    let chain = MarkovCorpus(alphabet: 2, concentration: 1, seed: 0)
    let p = chain.transitions
    let pi0 = p[2] / (p[1] + p[2])
    func h(_ a: Double, _ b: Double) -> Double { -(a * log(a) + b * log(b)) }
    let expected = pi0 * h(p[0], p[1]) + (1 - pi0) * h(p[2], p[3])
    #expect(abs(chain.entropyRate - expected) < 1e-12)
    #expect(abs(chain.stationary[0] - pi0) < 1e-12)
  }

  @Test func gzipAndPlainFilesConcatenateInOrder() throws {
    let plain = folder.write("a.txt", "hello ")
    let gzipped = folder.path("b.txt.gz")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "printf 'world' | gzip -c > '\(gzipped)'"]
    try process.run()
    process.waitUntilExit()
    let corpus = try TextCorpus(specs: [plain, gzipped])
    #expect(String(decoding: corpus.bytes, as: UTF8.self) == "hello world")
    let globbed = try TextCorpus(specs: [folder.path("*.txt*")])
    #expect(globbed.paths.count == 2)
  }

  @Test func missingEmptyAndTooSmallCorporaNameThePath() throws {
    let missing = #expect(throws: CorpusError.self) { try TextCorpus(specs: [folder.path("nope.txt")]) }
    #expect(missing?.description.contains("nope.txt: no such file") == true)
    let empty = folder.write("empty.txt", "")
    #expect((#expect(throws: CorpusError.self) { try TextCorpus(specs: [empty]) })?.code == .empty)
    let small = try TextCorpus(specs: [folder.write("small.txt", String(repeating: "x", count: 1000))])
    let error = #expect(throws: CorpusError.self) { try TokenData(corpus: small, context: 32, batch: 4) }
    #expect(error?.description.contains("small.txt: 1000 bytes is too small") == true)
  }

  @Test func trainingAndValidationNeverOverlap() throws {
    let data = try markovData()
    var sampler = BatchSampler(seed: 0)
    for _ in 0..<200 {
      for offset in sampler.nextOffsets(batch: 8, data: data) { #expect(offset + data.context + 1 <= data.trainCount) }
    }
    for offset in data.validationOffsets(count: 64, seed: 0) {
      #expect(offset + data.context + 1 <= data.validationCount)
    }
    #expect(data.validationCount == 64 * 32)
  }

  @Test(
    .enabled(
      if: FileManager.default.fileExists(atPath: TextCorpus.gcidePath),
      "GCIDE is not installed (scripts/setup installs dict-gcide)"))
  func readsTheDictzipGCIDE() throws {
    let corpus = try TextCorpus(specs: [TextCorpus.gcidePath])
    #expect(corpus.bytes.count == 39_952_321)
  }
}
