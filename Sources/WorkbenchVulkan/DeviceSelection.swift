import Foundation
import Synchronization
import WorkbenchTensor

/// What `--device` asks for: `auto`, `cpu`, `vulkan` (the first Vulkan GPU) or `vulkan:N`.
public enum DeviceChoice: Equatable, Sendable, CustomStringConvertible {
  case auto
  case cpu
  case vulkan(index: Int?)

  /// Parses a `--device` value.
  /// - Throws: `VulkanError` (invalid argument) naming the accepted forms.
  public init(parsing text: String) throws {
    switch text.lowercased() {
    case "auto": self = .auto
    case "cpu": self = .cpu
    case "vulkan", "gpu": self = .vulkan(index: nil)
    default:
      let parts = text.lowercased().split(separator: ":", maxSplits: 1)
      guard parts.count == 2, parts[0] == "vulkan", let index = Int(parts[1]), index >= 0 else {
        throw VulkanError(.invalidArgument, "--device '\(text)' is not one of auto, cpu, vulkan, vulkan:N")
      }
      self = .vulkan(index: index)
    }
  }

  public var description: String {
    switch self {
    case .auto: return "auto"
    case .cpu: return "cpu"
    case .vulkan(let index): return index.map { "vulkan:\($0)" } ?? "vulkan"
    }
  }
}

/// The backend a `--device` choice resolved to.
public struct SelectedDevice: @unchecked Sendable {
  public let backend: any Backend
  /// What runs record as their device: `cpu (2 threads; AMD EPYC, AVX2 + FMA; …)`, `vulkan:0 (NVIDIA H200)`.
  public let description: String
  /// For `auto`: one line saying what was chosen and why (nil for an explicit choice).
  public let note: String?
}

/// Resolves `--device` choices. Each Vulkan device is opened once per process and shared.
public enum DeviceSelector {
  private static let opened = Mutex<[Int: VulkanBackend]>([:])

  /// The backend for `choice`. `auto` takes the first Vulkan device that is not CPU-type and
  /// otherwise the CPU; a CPU-type Vulkan device (lavapipe) is used only when chosen by index.
  /// - Throws: `VulkanError` when Vulkan was asked for and cannot be used (never a silent fallback).
  public static func select(_ choice: DeviceChoice) throws -> SelectedDevice {
    switch choice {
    case .cpu:
      return SelectedDevice(backend: CPUBackend.shared, description: cpuDescription, note: nil)
    case .vulkan(let index?):
      let backend = try open(index)
      return SelectedDevice(backend: backend, description: backend.name, note: nil)
    case .vulkan(nil):
      let devices = try VulkanDevice.all()
      guard let gpu = devices.first(where: \.isGPU) else {
        let cpuTypes = devices.filter { !$0.isGPU }.map { "vulkan:\($0.index) (\($0.name))" }
        throw VulkanError(
          .noDevice,
          "no Vulkan GPU found"
            + (cpuTypes.isEmpty
              ? "; use --device cpu"
              : "; CPU-type Vulkan devices are used only by index: \(cpuTypes.joined(separator: ", ")), or --device cpu")
        )
      }
      let backend = try open(gpu.index)
      return SelectedDevice(backend: backend, description: backend.name, note: nil)
    case .auto:
      let reason: String
      do {
        if let gpu = try VulkanDevice.all().first(where: \.isGPU) {
          do {
            let backend = try open(gpu.index)
            return SelectedDevice(
              backend: backend, description: backend.name, note: "device: \(backend.name) (--device auto)")
          } catch {
            reason = "Vulkan device \(gpu.index) (\(gpu.name)) could not be opened: \(error)"
          }
        } else {
          reason = "no Vulkan GPU found"
        }
      } catch {
        reason = "\(error)"
      }
      return SelectedDevice(
        backend: CPUBackend.shared, description: cpuDescription,
        note: "device: \(cpuDescription) (--device auto: \(reason))")
    }
  }

  /// What the CPU backend is recorded as: thread count, processor, ISA, kernel set and
  /// matrix-multiply kernel (`cpu (2 threads; AMD EPYC, AVX2 + FMA; kernels avx2; sgemm OpenBLAS 0.3.21 Zen)`).
  public static var cpuDescription: String {
    _ = CPUBackend.shared  // sets the thread count and the kernels on first use
    return "cpu (\(CPUBackend.threads) threads; \(CPUKernelRuntime.shared.summary))"
  }

  private static func open(_ index: Int) throws -> VulkanBackend {
    try opened.withLock { backends in
      if let backend = backends[index] { return backend }
      let backend = try VulkanBackend(index: index)
      backends[index] = backend
      return backend
    }
  }

  /// Every Vulkan device opened in this process (for profiles printed at exit).
  public static var openedBackends: [VulkanBackend] { opened.withLock { Array($0.values) } }
}
