import Foundation
import WorkbenchNN
import WorkbenchRandom
import WorkbenchTensor

/// `workbench bench train`: the same measurement as `../shared/bench/ref_gpt_train.py` — median
/// time of a full training step (zero grads, forward, loss, backward, clip, AdamW) over the timed
/// steps after untimed warm-up steps, on random byte windows.
public struct TrainingBenchmark: Sendable {
  public var model: GPTConfig
  public var batch: Int
  public var steps: Int
  public var warmup: Int
  public var threads: Int

  public init(model: GPTConfig, batch: Int, steps: Int, warmup: Int, threads: Int) {
    self.model = model
    self.batch = batch
    self.steps = steps
    self.warmup = warmup
    self.threads = threads
  }

  /// What one benchmark measured.
  public struct Result: Codable, Sendable {
    public var nLayer: Int
    public var dModel: Int
    public var nHead: Int
    public var ctx: Int
    public var batch: Int
    public var threads: Int
    public var timedSteps: Int
    public var msPerStep: Double
    public var tokensPerSecond: Double
    public var nTotal: Int
    public var nNonEmbedding: Int
    /// 6·N_total·tokens/s, as the reference reports it.
    public var modelFlopsPerSecond: Double
    /// The device's measured fp32 peak: a large single-precision matrix multiply (`measuredPeak`).
    public var peakFlopsPerSecond: Double
    public var mfu: Double
    public var peakRssMib: Double
    public var finalLoss: Double
    /// The backend's name: `cpu`, `vulkan:0 (…)`.
    public var device: String
    /// The processor (`AMD EPYC 9R14 … (AuthenticAMD family 25 model 17)`), its vector ISA as
    /// used (`AVX2 + FMA`), the CPU kernel set and the matrix-multiply kernel (`OpenBLAS 0.3.21 Zen`).
    public var cpu: String
    public var isa: String
    public var cpuKernels: String
    public var gemm: String

    enum CodingKeys: String, CodingKey {
      case nLayer = "n_layer"
      case dModel = "d_model"
      case nHead = "n_head"
      case ctx, batch, threads, mfu, device
      case timedSteps = "timed_steps"
      case msPerStep = "ms_per_step"
      case tokensPerSecond = "tokens_per_second"
      case nTotal = "n_total"
      case nNonEmbedding = "n_nonembedding"
      case modelFlopsPerSecond = "model_flops_per_second"
      case peakFlopsPerSecond = "peak_flops_per_second"
      case peakRssMib = "peak_rss_mib"
      case finalLoss = "final_loss"
      case cpu, isa
      case cpuKernels = "cpu_kernels"
      case gemm
    }
  }

  /// Runs the benchmark; `afterWarmup` is called once the untimed steps are done (a profiler
  /// resets there).
  /// - Throws: the backend's device failure, if one happened.
  public func run(on backend: any Backend = CPUBackend.shared, afterWarmup: () -> Void = {}) throws -> Result {
    CPUBackend.setThreads(threads)
    let gpt = GPT(model, on: backend, seed: 1337)
    let optimizer = AdamW(schedule: .constant(peak: 3e-4))
    var generator = SeededGenerator(seed: 1337, stream: "bench-data")
    let text = (0..<(1 << 20)).map { _ in Int32(97 + generator.next() % 26) }
    var times: [Double] = []
    var lastLoss = Tensor.zeros([], on: backend)
    for step in 0..<(warmup + steps) {
      if step == warmup { afterWarmup() }
      let offsets = (0..<batch).map { _ in Int(generator.next() % UInt64(text.count - model.context - 1)) }
      let x = offsets.flatMap { text[$0..<($0 + model.context)] }
      let y = offsets.flatMap { text[($0 + 1)..<($0 + 1 + model.context)] }
      let start = DispatchTime.now().uptimeNanoseconds
      let tokens = Tensor(ids: x, shape: [batch, model.context], on: backend)
      let targets = Tensor(ids: y, shape: [batch, model.context], on: backend)
      let tape = Tape()
      let loss = tape.record { gpt.loss(tokens, targets: targets) }
      gpt.arena.zeroGradients()
      tape.backward(loss)
      optimizer.step(gpt.arena, step: step, totalSteps: warmup + steps)
      lastLoss = loss
      try backend.synchronize()  // a step is timed until its work is done, on any device
      let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
      if step >= warmup { times.append(seconds) }
    }
    let median = times.sorted()[times.count / 2]
    let tokensPerSecond = Double(batch * model.context) / median
    let modelFlops = 6 * Double(model.totalParameters) * tokensPerSecond
    let peak = try Self.measuredPeak(on: backend)
    let kernels = CPUKernelRuntime.shared
    return Result(
      nLayer: model.layers, dModel: model.width, nHead: model.heads, ctx: model.context, batch: batch, threads: threads,
      timedSteps: steps, msPerStep: median * 1000, tokensPerSecond: tokensPerSecond, nTotal: model.totalParameters,
      nNonEmbedding: model.nonEmbeddingParameters, modelFlopsPerSecond: modelFlops, peakFlopsPerSecond: peak,
      mfu: modelFlops / peak, peakRssMib: Self.peakResidentMiB(), finalLoss: Double(lastLoss.item()),
      device: backend.name, cpu: kernels.cpu.modelDescription, isa: kernels.cpu.isaDescription,
      cpuKernels: kernels.kernelsDescription, gemm: kernels.gemmDescription)
  }

  /// fp32 FLOP/s of an n³ matrix multiply on `backend` (best of `repeats`, after one warm-up):
  /// 1024³ on the current CPU threads; 512³ on other devices, a compromise between a GPU's
  /// launch overhead and a CPU-type Vulkan device's slowness.
  public static func measuredPeak(on backend: any Backend = CPUBackend.shared) throws -> Double {
    let cpu = backend is CPUBackend
    let n = cpu ? 1024 : 512
    return try matmulFlopsPerSecond(m: n, n: n, k: n, repeats: cpu ? 5 : 3, on: backend)
  }

  /// fp32 FLOP/s (2·m·n·k per multiply) of C = A·B on `backend`: the best of `repeats` timed
  /// multiplies after one untimed one, each waited for.
  public static func matmulFlopsPerSecond(m: Int, n: Int, k: Int, repeats: Int, on backend: any Backend) throws
    -> Double
  {
    let a = Tensor.full([m, k], 0.5, on: backend)
    let b = Tensor.full([k, n], 0.25, on: backend)
    var best = Double.infinity
    for round in 0...repeats {
      let start = DispatchTime.now().uptimeNanoseconds
      _ = Tensor.matmul(a, b)
      try backend.synchronize()
      if round > 0 { best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
    }
    return 2 * Double(m) * Double(n) * Double(k) / best
  }

  /// The process's peak resident memory in MiB.
  public static func peakResidentMiB() -> Double {
    var usage = rusage()
    #if os(Linux)
      getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
      return Double(usage.ru_maxrss) / 1024  // KiB on Linux
    #else
      getrusage(RUSAGE_SELF, &usage)
      return Double(usage.ru_maxrss) / (1024 * 1024)  // bytes on macOS
    #endif
  }
}
