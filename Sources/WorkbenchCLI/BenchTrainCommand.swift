import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchLM
import WorkbenchNN
import WorkbenchTensor
import WorkbenchVulkan

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
  @OptionGroup var device: DeviceOptions
  @Option(help: "Timed steps.") var steps = 20
  @Option(help: "Untimed warm-up steps.") var warmup = 5
  @Flag(help: "Print one JSON object.") var json = false

  func validate() throws {
    if steps < 1 || warmup < 0 { throw ValidationError("--steps must be at least 1 and --warmup at least 0") }
  }

  func run() throws {
    let threads = shape.threads ?? CPUBackend.defaultThreads
    CPUBackend.setThreads(threads)
    let selected = try device.select()
    let result = try TrainingBenchmark(
      model: shape.model, batch: shape.batch, steps: steps, warmup: warmup, threads: threads
    ).run(on: selected.backend)
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      emit(String(decoding: try encoder.encode(result), as: UTF8.self))
      return
    }
    var table = TextTable(["METRIC", "VALUE"])
    table.append(["device", selected.description])
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
    table.append([
      "measured peak (\(selected.backend is CPUBackend ? "1024" : "512")³ matmul)",
      String(format: "%.1f GFLOP/s", result.peakFlopsPerSecond / 1e9),
    ])
    table.append(["MFU", String(format: "%.1f%%", result.mfu * 100)])
    table.append(["peak RSS", String(format: "%.0f MiB", result.peakRssMib)])
    emit(table.render())
  }
}

struct BenchOpsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ops",
    abstract: "Per-op time table of GPT training steps (where a step's time goes).",
    discussion: """
      On the CPU each kernel call is timed; on a Vulkan device the times are the device's, from
      timestamp queries around each dispatch.
      """)

  @OptionGroup var shape: BenchShape
  @OptionGroup var device: DeviceOptions
  @Option(help: "Profiled steps (after 2 untimed ones).") var steps = 5

  func run() throws {
    let threads = shape.threads ?? CPUBackend.defaultThreads
    CPUBackend.setThreads(threads)
    let selected = try device.select()
    let benchmark = TrainingBenchmark(model: shape.model, batch: shape.batch, steps: steps, warmup: 2, threads: threads)
    let rows: [(name: String, calls: Int, seconds: Double)]
    let result: TrainingBenchmark.Result
    if let vulkan = selected.backend as? VulkanBackend {
      guard vulkan.timestampsAvailable else {
        throw CommandError("\(vulkan.name) has no timestamp queries on its compute queue: no per-op times")
      }
      vulkan.setProfiling(true)
      result = try benchmark.run(on: vulkan) { vulkan.resetProfile() }
      rows = vulkan.profile().map { ($0.name, $0.calls, $0.milliseconds / 1000) }
      vulkan.setProfiling(false)
    } else {
      let profiler = ProfilingBackend(selected.backend)
      result = try benchmark.run(on: profiler) { profiler.reset() }
      rows = profiler.report()
    }
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
    emit(String(format: "step: %.2f ms on %@", wall * 1000, selected.description))
  }
}

struct BenchMatmulCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "matmul",
    abstract: "Matrix-multiply throughput (GFLOP/s) across shapes on a device.",
    discussion: """
      Each shape M×N×K times C = A·B (2·M·N·K FLOPs), best of --repeat after one untimed
      multiply, waiting for the device each time. The defaults are square sizes and the
      multiplies of a GPT block at d_model 384 and 16×128 tokens; on lavapipe give small shapes:
        workbench bench matmul --device vulkan:0 --shapes 64x64x64,128x128x128,256x256x256
      """)

  @OptionGroup var device: DeviceOptions
  @Option(help: "Comma-separated MxNxK shapes.")
  var shapes = "256x256x256,512x512x512,1024x1024x1024,2048x1152x384,2048x384x1536,2048x1536x384"
  @Option(name: .customLong("repeat"), help: "Timed multiplies per shape.") var repeats = 5
  @Option(help: "Kernel threads for the CPU backend.") var threads: Int?

  func parsedShapes() throws -> [(Int, Int, Int)] {
    try shapes.split(separator: ",").map { text in
      let parts = text.lowercased().split(separator: "x").compactMap { Int($0) }
      guard parts.count == 3, parts.allSatisfy({ $0 > 0 }) else {
        throw ValidationError("--shapes: '\(text)' is not MxNxK with positive sizes")
      }
      return (parts[0], parts[1], parts[2])
    }
  }

  func validate() throws {
    _ = try parsedShapes()
    if repeats < 1 { throw ValidationError("--repeat must be at least 1") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
  }

  func run() throws {
    if let threads { CPUBackend.setThreads(threads) }
    let selected = try device.select()
    var table = TextTable(["SHAPE (M×N×K)", "GFLOP/s", "MS"])
    for (m, n, k) in try parsedShapes() {
      let rate = try TrainingBenchmark.matmulFlopsPerSecond(m: m, n: n, k: k, repeats: repeats, on: selected.backend)
      table.append([
        "\(m)×\(n)×\(k)", String(format: "%.2f", rate / 1e9),
        String(format: "%.3f", 2 * Double(m) * Double(n) * Double(k) / rate * 1000),
      ])
    }
    emit("device: \(selected.description)")
    emit(table.render())
  }
}
