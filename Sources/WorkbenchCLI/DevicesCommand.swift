import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchTensor
import WorkbenchVulkan

struct DevicesCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "devices",
    abstract: "List the Vulkan devices this machine has and which one --device auto picks.",
    discussion: """
      The index is N in --device vulkan:N. auto takes the first device that is not CPU-type
      (a CPU-type device such as Mesa's lavapipe is used only when chosen by index), else the
      CPU backend.
      """)

  @Flag(help: "Also print each device's compute limits.") var verbose = false

  func run() throws {
    emitCPU()
    let devices: [VulkanDevice]
    do {
      devices = try VulkanDevice.all()
    } catch {
      emit("no Vulkan devices: \(error)")
      emit("--device auto uses: \(DeviceSelector.cpuDescription)")
      return
    }
    if devices.isEmpty { emit("the Vulkan loader reports no devices") }
    var table = TextTable(["DEVICE", "NAME", "TYPE", "MEMORY", "VULKAN", "SUBGROUP", "SHARED MEMORY"])
    for device in devices {
      table.append([
        "vulkan:\(device.index)", device.name, device.kind.rawValue,
        String(format: "%.1f GiB", Double(device.memoryBytes) / Double(1 << 30)), device.apiVersion,
        "\(device.subgroupSize)\(device.subgroupArithmetic ? "" : " (no arithmetic)")",
        "\(device.maxSharedMemory / 1024) KiB",
      ])
    }
    if !devices.isEmpty { emit(table.render()) }
    if verbose {
      for device in devices {
        emit(
          "vulkan:\(device.index): driver \(device.driver.isEmpty ? "?" : device.driver); "
            + "max invocations \(device.maxInvocations), max workgroups \(device.maxGroupCount), "
            + "max storage binding \(device.maxStorageRange / (1 << 20)) MiB, "
            + "storage alignment \(device.minStorageAlignment) B, timestamps \(device.timestamps ? "yes" : "no")")
      }
    }
    if let gpu = devices.first(where: \.isGPU) {
      emit("--device auto uses: vulkan:\(gpu.index) (\(gpu.name))")
    } else {
      let cpuTypes = devices.filter { !$0.isGPU }.map { "vulkan:\($0.index)" }
      emit(
        "--device auto uses: \(DeviceSelector.cpuDescription)"
          + (cpuTypes.isEmpty ? "" : " (CPU-type Vulkan devices only by index: \(cpuTypes.joined(separator: ", ")))"))
    }
  }

  /// The processor and the CPU backend's kernels (what `--device cpu` runs).
  private func emitCPU() {
    let kernels = CPUKernelRuntime.shared
    let selection = kernels.selection
    emit("cpu: \(kernels.cpu.modelDescription), \(ProcessInfo.processInfo.activeProcessorCount) cores")
    emit("  ISA: \(kernels.cpu.isaDescription)")
    emit(
      "  kernels: \(kernels.kernelsDescription) (this processor runs "
        + kernels.cpu.runnableKernelSets.map(\.rawValue).joined(separator: ", ") + ")")
    let origin: String
    if selection.gemm == .own {
      origin = "WORKBENCH_GEMM=openblas for OpenBLAS"
    } else if selection.blasCoreForced {
      origin = "core type from OPENBLAS_CORETYPE"
    } else {
      origin =
        selection.blasCoreType.map { "core type \($0) chosen from the processor's features" }
        ?? "OpenBLAS's own detection"
    }
    emit("  sgemm: \(kernels.gemmDescription) (\(origin))")
  }
}
