import ArgumentParser
import Foundation
import WorkbenchLM
import WorkbenchNN
import WorkbenchTensor

/// The model and step shape shared by `bench train` and `bench ops` (the reference script's knobs).
struct BenchShape: ParsableArguments {
  @Option(name: .customLong("n-layer"), help: "Transformer blocks.") var layers = 4
  @Option(name: .customLong("d-model"), help: "Width.") var width = 128
  @Option(name: .customLong("n-head"), help: "Attention heads.") var heads = 4
  @Option(help: "Context length.") var ctx = 128
  @Option(help: "Sequences per step.") var batch = 16
  @Option(help: "Kernel threads (default: $WORKBENCH_THREADS, else the number of cores).") var threads: Int?

  var model: GPTConfig { GPTConfig(layers: layers, width: width, heads: heads, context: ctx) }

  func validate() throws {
    if let problem = model.problem { throw ValidationError(problem) }
    if batch < 1 { throw ValidationError("--batch must be at least 1") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
  }
}

struct BenchTrainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "train",
    abstract: "Training speed: ms/step, tokens/s, model FLOP/s, MFU and peak memory of one GPT shape.",
    discussion: """
      Times full training steps (zero grads, forward, loss, backward, clipping, AdamW) after untimed
      warm-up steps and reports the median, like ../shared/bench/ref_gpt_train.py with the same knobs:
        workbench bench train --n-layer 4 --d-model 128 --n-head 4 --ctx 128 --batch 16 --steps 25 --threads 2
      MFU is 6·N_total·tokens/s over this machine's measured fp32 peak (a 1024³ matrix multiply).
      """)

  @OptionGroup var shape: BenchShape
  @Option(help: "Timed steps.") var steps = 20
  @Option(help: "Untimed warm-up steps.") var warmup = 5
  @Flag(help: "Print one JSON object.") var json = false

  func validate() throws {
    if steps < 1 || warmup < 0 { throw ValidationError("--steps must be at least 1 and --warmup at least 0") }
  }

  func run() throws {
    let threads = shape.threads ?? CPUBackend.defaultThreads
    let result = TrainingBenchmark(
      model: shape.model, batch: shape.batch, steps: steps, warmup: warmup, threads: threads
    ).run()
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      emit(String(decoding: try encoder.encode(result), as: UTF8.self))
      return
    }
    var table = TextTable(["METRIC", "VALUE"])
    table.append([
      "model", "n_layer \(result.nLayer), d_model \(result.dModel), n_head \(result.nHead), ctx \(result.ctx)",
    ])
    table.append([
      "batch × ctx",
      "\(result.batch) × \(result.ctx) tokens, \(result.threads) threads, \(result.timedSteps) timed steps",
    ])
    table.append(["ms/step (median)", String(format: "%.2f", result.msPerStep)])
    table.append(["tokens/s", String(format: "%.0f", result.tokensPerSecond)])
    table.append(["model FLOP/s (6·N_total·tok/s)", String(format: "%.2f G", result.modelFlopsPerSecond / 1e9)])
    table.append(["measured peak", String(format: "%.1f GFLOP/s", result.peakFlopsPerSecond / 1e9)])
    table.append(["MFU", String(format: "%.1f%%", result.mfu * 100)])
    table.append(["peak RSS", String(format: "%.0f MiB", result.peakRssMib)])
    emit(table.render())
  }
}

struct BenchOpsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ops", abstract: "Per-op time table of GPT training steps (where a step's time goes).")

  @OptionGroup var shape: BenchShape
  @Option(help: "Profiled steps (after 2 untimed ones).") var steps = 5

  func run() throws {
    let threads = shape.threads ?? CPUBackend.defaultThreads
    let profiler = ProfilingBackend(CPUBackend.shared)
    let result = TrainingBenchmark(model: shape.model, batch: shape.batch, steps: steps, warmup: 2, threads: threads)
      .run(on: profiler) { profiler.reset() }
    let rows = profiler.report()
    let kernels = rows.reduce(0) { $0 + $1.seconds } / Double(steps)
    // The median step (kernel times are means, so a noisy step can put them above it).
    let wall = max(result.msPerStep / 1000, kernels)
    var table = TextTable(["OP", "CALLS/STEP", "MS/STEP", "% OF STEP"])
    for row in rows {
      table.append([
        row.name, String(row.calls / steps), String(format: "%.3f", row.seconds / Double(steps) * 1000),
        String(format: "%.1f", row.seconds / Double(steps) / wall * 100),
      ])
    }
    table.append([
      "(outside kernels: tape, allocation, host)", "", String(format: "%.3f", (wall - kernels) * 1000),
      String(format: "%.1f", (wall - kernels) / wall * 100),
    ])
    emit(table.render())
    emit(String(format: "step: %.2f ms (%d threads)", wall * 1000, threads))
  }
}
