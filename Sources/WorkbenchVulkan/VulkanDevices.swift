internal import CVulkanCompute
import Foundation
import WorkbenchErrors

/// A failure of the Vulkan backend, with what to do about it.
public struct VulkanError: WorkbenchError {
  public enum Code: String, ErrorCodes {
    case noLoader, noDevice, outOfDeviceMemory, outOfHostMemory, deviceLost, shader, invalidArgument, vulkan
  }
  public let code: Code
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }

  /// The error for a failed call of the C layer, with its message.
  static func last(_ status: wbvk_status) -> VulkanError {
    let message = String(cString: wbvk_last_error())
    let code: Code
    switch status {
    case WBVK_NO_LOADER: code = .noLoader
    case WBVK_NO_DEVICE: code = .noDevice
    case WBVK_OUT_OF_DEVICE_MEMORY: code = .outOfDeviceMemory
    case WBVK_OUT_OF_HOST_MEMORY: code = .outOfHostMemory
    case WBVK_DEVICE_LOST: code = .deviceLost
    case WBVK_SHADER_ERROR: code = .shader
    case WBVK_BAD_ARGUMENT: code = .invalidArgument
    default: code = .vulkan
    }
    return VulkanError(code, message.isEmpty ? "Vulkan call failed (status \(status.rawValue))" : message)
  }
}

/// One device the Vulkan loader reports, with the limits kernels are sized from.
public struct VulkanDevice: Sendable, Equatable {
  public enum Kind: String, Sendable { case discrete, integrated, virtual, cpu, other }

  public let index: Int
  public let name: String
  public let driver: String
  public let kind: Kind
  public let apiVersion: String
  public let memoryBytes: UInt64
  public let subgroupSize: Int
  public let subgroupArithmetic: Bool
  public let maxSharedMemory: Int
  public let maxInvocations: Int
  public let maxGroupSize: Int
  public let maxGroupCount: Int
  public let maxStorageRange: UInt64
  public let minStorageAlignment: Int
  public let timestamps: Bool

  init(index: Int, info: wbvk_device_info) {
    self.index = index
    var info = info
    name = withUnsafeBytes(of: &info.name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    driver = withUnsafeBytes(of: &info.driver) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
    switch Int(info.type) {
    case WBVK_TYPE_DISCRETE: kind = .discrete
    case WBVK_TYPE_INTEGRATED: kind = .integrated
    case WBVK_TYPE_VIRTUAL: kind = .virtual
    case WBVK_TYPE_CPU: kind = .cpu
    default: kind = .other
    }
    apiVersion = "\(info.api_version >> 22).\((info.api_version >> 12) & 0x3ff).\(info.api_version & 0xfff)"
    memoryBytes = info.device_local_bytes
    subgroupSize = Int(info.subgroup_size)
    subgroupArithmetic = info.subgroup_arithmetic != 0
    maxSharedMemory = Int(info.max_shared_memory)
    maxInvocations = Int(info.max_invocations)
    maxGroupSize = Int(info.max_group_size.0)
    maxGroupCount = Int(min(info.max_group_count.0, info.max_group_count.1))
    maxStorageRange = info.max_storage_range
    minStorageAlignment = Int(info.min_storage_alignment)
    timestamps = info.timestamps != 0
  }

  /// Whether `--device auto` may pick it: CPU-type Vulkan devices (lavapipe) are used only when
  /// chosen by index.
  public var isGPU: Bool { kind != .cpu }

  /// The devices the Vulkan loader sees, in its order (the indices of `--device vulkan:N`).
  /// - Throws: `VulkanError` when there is no loader or it fails.
  public static func all() throws -> [VulkanDevice] {
    var infos = [wbvk_device_info](repeating: wbvk_device_info(), count: 64)
    var count: Int32 = 0
    let status = wbvk_enumerate(&infos, Int32(infos.count), &count)
    guard status == WBVK_OK else { throw VulkanError.last(status) }
    return (0..<Int(count)).map { VulkanDevice(index: $0, info: infos[$0]) }
  }
}
