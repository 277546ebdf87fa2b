import Foundation
import Testing
import WorkbenchRunLog
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
