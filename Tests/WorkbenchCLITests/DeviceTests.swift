import EndToEndTestSupport
import Foundation
import Testing
import VulkanTestSupport
import WorkbenchRunLog
import WorkbenchTensor
import WorkbenchTestSupport

/// A GPT small enough to train in a second, on the built-in Markov text.
private let tinyModel = """
  plugin: gpt-train
  name: tiny
  seed: 1
  model: {n_layer: 1, d_model: 16, n_head: 2, ctx: 16}
  data:
    synthetic: {alphabet: 8, concentration: 0.5, bytes: 20000}
  training: {batch: 4, steps: 10, lr: 3e-3, log_every: 5}
  evaluation: {every: 10, windows: 4}
  """

/// Environments where Vulkan is absent: no driver (the ICD list points at nothing) and no loader.
private let withoutVulkan: [(String, [String: String])] = [
  ("no driver", ["VK_ICD_FILENAMES": "/nonexistent/icd.json", "VK_DRIVER_FILES": "/nonexistent/icd.json"]),
  ("no loader", ["WORKBENCH_VULKAN_LOADER": "/nonexistent/libvulkan.so.1"]),
]

@Suite struct DeviceTests {
  @Test(arguments: withoutVulkan)
  func autoRunsOnTheCPUAndSaysSo(_ name: String, _ environment: [String: String]) throws {
    let folder = TemporaryDirectory()
    folder.write("tiny.yaml", tinyModel)
    let result = try WorkbenchProcess.run(
      ["run", "tiny.yaml", "--device", "auto"], in: folder.url, environment: environment)
    #expect(result.status == 0, "\(name): \(result.stderr)")
    let notes = result.stderr.split(separator: "\n").filter { $0.hasPrefix("device:") }
    #expect(notes.count == 1, "\(name): \(result.stderr)")
    #expect(notes.first?.contains("cpu") == true && notes.first?.contains("--device auto") == true)
    let run = try #require(try runs(in: folder.path("workbench.sqlite")).first)
    #expect(run.status == .finished)
    #expect(run.device?.hasPrefix("cpu") == true)
    // The record names the processor's ISA, the kernel set and the matrix-multiply kernel.
    #expect(run.device?.contains("kernels ") == true && run.device?.contains("sgemm ") == true, "\(run.device ?? "")")
  }

  @Test(arguments: withoutVulkan)
  func askingForVulkanIsAClearError(_ name: String, _ environment: [String: String]) throws {
    let folder = TemporaryDirectory()
    folder.write("tiny.yaml", tinyModel)
    for device in ["vulkan", "vulkan:0"] {
      let result = try WorkbenchProcess.run(
        ["run", "tiny.yaml", "--device", device], in: folder.url, environment: environment)
      #expect(result.status == 1, "\(name) \(device): \(result.stderr)")
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1, "\(name) \(device): \(result.stderr)")
      #expect(
        result.stderr.contains("--device \(device):") && result.stderr.contains("--device cpu"), "\(result.stderr)")
      // nothing ran, nothing was recorded as run
      #expect(try runs(in: folder.path("workbench.sqlite")).allSatisfy { $0.status != .finished })
    }
    let devices = try WorkbenchProcess.run(["devices"], in: folder.url, environment: environment)
    #expect(devices.status == 0)
    #expect(devices.stdout.contains("--device auto uses: cpu"), "\(devices.stdout)")
  }

  @Test func badDeviceNamesAreRejected() throws {
    let folder = TemporaryDirectory()
    folder.write("tiny.yaml", tinyModel)
    for device in ["gpu0", "vulkan:x", "vulkan:-1", "cuda"] {
      let result = try WorkbenchProcess.run(["run", "tiny.yaml", "--device", device], in: folder.url)
      #expect(result.status != 0)
      #expect(result.stderr.contains("auto, cpu, vulkan, vulkan:N"), "\(device): \(result.stderr)")
    }
  }
}

@Suite(.enabled(if: TestVulkan.available, Comment(rawValue: TestVulkan.skipMessage)))
struct VulkanRunTests {
  /// 50 training steps of each model of experiments/smoke.yaml, on the CPU and on the Vulkan test
  /// device (validation on): the loss traces agree to 1e-3 relative, and the runs record the device.
  @Test func smokeExperimentTrainsOnVulkanLikeOnTheCPU() throws {
    let index = try #require(TestVulkan.backend).device.index
    let smoke = packageRoot.appendingPathComponent("experiments/smoke.yaml").path
    let fifty = ["training.tokens=25600", "training.log_every=1", "analysis.warmup_steps=10", "--quiet"]
    var logs: [String: String] = [:]
    let folders = [TemporaryDirectory(), TemporaryDirectory()]
    for (folder, device) in zip(folders, ["cpu", "vulkan:\(index)"]) {
      let result = try WorkbenchProcess.run(
        ["run", smoke] + fifty + ["--device", device], in: folder.url,
        environment: ["WORKBENCH_VULKAN_VALIDATION": "1"])
      #expect(result.status == 0, "\(device): \(result.stderr)")
      #expect(!result.stderr.contains("validation"), "\(device): \(result.stderr)")
      let listed = try WorkbenchProcess.run(["runs"], in: folder.url)
      #expect(listed.stdout.contains(device == "cpu" ? "cpu (" : "vulkan:\(index) ("), "\(listed.stdout)")
      logs[device] = folder.path("workbench.sqlite")
    }
    let cpu = try RunLog(path: logs["cpu"]!, readOnly: true)
    let gpu = try RunLog(path: logs["vulkan:\(index)"]!, readOnly: true)
    let cpuRuns = try cpu.runs()
    #expect(cpuRuns.count == 5)
    var compared = 0
    for run in cpuRuns {
      let other = try #require(try gpu.runs(keys: [run.key]).first)
      #expect(other.device?.hasPrefix("vulkan:\(index)") == true)
      let expected = try cpu.metrics(runID: run.id!, name: "train_loss")
      let actual = try gpu.metrics(runID: other.id!, name: "train_loss")
      #expect(expected.count == 50 && actual.count == 50)
      for (a, e) in zip(actual, expected) {
        #expect(a.step == e.step)
        #expect(
          abs(a.value - e.value) <= 1e-3 * abs(e.value),
          "run \(run.key.prefix(8)) step \(e.step): \(a.value) vs \(e.value)")
        compared += 1
      }
    }
    #expect(compared == 250)
  }
}

/// The matrix-multiply kernels this machine can run, each as the environment that selects it:
/// workbench's own under each kernel set, and OpenBLAS under its baseline (Prescott) core, the
/// core chosen from the processor's features, and SkylakeX where AVX-512 runs.
private let gemmEnvironments: [(String, [String: String])] = {
  let cpu = CPUFeatures.host
  var cases = cpu.runnableKernelSets.map { ("own \($0.rawValue)", ["WORKBENCH_CPU_KERNELS": $0.rawValue]) }
  cases.append(("OpenBLAS by features", ["WORKBENCH_GEMM": "openblas", "OPENBLAS_CORETYPE": ""]))
  cases.append(("OpenBLAS Prescott", ["WORKBENCH_GEMM": "openblas", "OPENBLAS_CORETYPE": "Prescott"]))
  if cpu.runsAVX512 && cpu.isIntel {
    cases.append(("OpenBLAS SkylakeX", ["WORKBENCH_GEMM": "openblas", "OPENBLAS_CORETYPE": "SkylakeX"]))
  }
  return cases
}()

@Suite struct MatrixKernelTests {
  /// Three training steps of a small GPT from the same seed and batches: every kernel gives the
  /// same loss (to float rounding), and each says which kernel ran.
  @Test func damagedShaderCachesAreRebuiltNotUsed() throws {
    let index = try #require(TestVulkan.backend).device.index
    let shared = TemporaryDirectory()
    let environment = ["XDG_CACHE_HOME": shared.path("cache"), "WORKBENCH_VULKAN_VALIDATION": "1"]
    // The same run in two fresh folders asks for the same shaders: the first compiles and caches
    // them, the second finds every cache file damaged.
    func train() throws {
      let folder = TemporaryDirectory()
      folder.write("tiny.yaml", tinyModel)
      let result = try WorkbenchProcess.run(
        ["run", "tiny.yaml", "--device", "vulkan:\(index)"], in: folder.url, environment: environment)
      #expect(result.status == 0, "\(result.stderr)")
      #expect(!result.stderr.contains("validation"), "\(result.stderr)")
    }
    try train()
    let cache = URL(fileURLWithPath: shared.path("cache/workbench/vulkan"))
    let files = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".spv") }
    #expect(!files.isEmpty)
    var originals: [String: Data] = [:]
    for name in files {
      let url = cache.appendingPathComponent(name)
      var bytes = try Data(contentsOf: url)
      originals[name] = bytes
      // One flipped byte inside the SPIR-V words (the magic number stays intact).
      bytes[bytes.count / 2] ^= 0xFF
      try bytes.write(to: url)
    }
    try train()
    for name in files {
      #expect(try Data(contentsOf: cache.appendingPathComponent(name)) == originals[name], "\(name) was not rebuilt")
    }
  }

  @Test func everyMatrixKernelTrainsToTheSameLoss() throws {
    let folder = TemporaryDirectory()
    let arguments = [
      "bench", "train", "--n-layer", "2", "--d-model", "48", "--n-head", "2", "--ctx", "40", "--batch", "3",
      "--steps", "3", "--warmup", "1", "--threads", "2", "--device", "cpu", "--json",
    ]
    var losses: [(String, Double)] = []
    for (name, environment) in [("default", ["OPENBLAS_CORETYPE": ""])] + gemmEnvironments {
      let result = try WorkbenchProcess.run(arguments, in: folder.url, environment: environment)
      if name.hasPrefix("OpenBLAS"), result.stderr.contains("could not be opened") {
        Issue.record("\(name): OpenBLAS is not installed (scripts/setup installs it)")
        continue
      }
      #expect(result.status == 0, "\(name): \(result.stderr)")
      let json = try #require(
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(name): \(result.stdout)")
      let gemm = try #require(json["gemm"] as? String)
      let loss = try #require(json["final_loss"] as? Double)
      losses.append((name, loss))
      if let core = environment["OPENBLAS_CORETYPE"], !core.isEmpty {
        #expect(gemm.hasSuffix("\(core) (OPENBLAS_CORETYPE)"), "\(name): \(gemm)")
        let warned = result.stderr.contains("OpenBLAS runs its Prescott kernels")
        #expect(warned == (core == "Prescott" && CPUFeatures.host.runsAVX2), "\(name): \(result.stderr)")
      } else if environment["WORKBENCH_GEMM"] == "openblas" {
        #expect(gemm.hasPrefix("OpenBLAS") && !result.stderr.contains("warning"), "\(name): \(gemm) \(result.stderr)")
      } else if let kernels = environment["WORKBENCH_CPU_KERNELS"] {
        #expect(gemm.hasPrefix("workbench \(kernels) "), "\(name): \(gemm)")
        #expect(json["cpu_kernels"] as? String == "\(kernels) (WORKBENCH_CPU_KERNELS)", "\(name)")
      }
      #expect(json["isa"] as? String == CPUFeatures.host.isaDescription)
    }
    let reference = try #require(losses.first).1
    #expect(reference > 4 && reference < 6, "a byte model's loss after 4 steps: \(reference)")
    for (name, loss) in losses {
      #expect(
        abs(loss - reference) <= 2e-5 * reference, "\(name): loss \(loss) vs \(reference) with the default kernels")
    }
  }

  @Test func devicesNamesTheProcessorAndItsKernels() throws {
    let folder = TemporaryDirectory()
    let result = try WorkbenchProcess.run(["devices"], in: folder.url, environment: ["OPENBLAS_CORETYPE": ""])
    #expect(result.status == 0, "\(result.stderr)")
    let cpu = CPUFeatures.host
    #expect(result.stdout.contains("cpu: \(cpu.modelDescription)"), "\(result.stdout)")
    #expect(result.stdout.contains("ISA: \(cpu.isaDescription)"), "\(result.stdout)")
    #expect(result.stdout.contains("kernels: \(cpu.runnableKernelSets.max()!.rawValue)"), "\(result.stdout)")
  }
}
