import Foundation
import WorkbenchTensor
import WorkbenchVulkan

/// The Vulkan device the tests run on, with the validation layer on: `WORKBENCH_TEST_VULKAN_DEVICE`
/// (an index) when set, else the first CPU-type device (lavapipe, what CI has), else the first
/// device. Nil — and the Vulkan tests skip, saying why — where there is none.
public enum TestVulkan {
  public static let backend: VulkanBackend? = {
    do {
      let devices = try VulkanDevice.all()
      let chosen =
        ProcessInfo.processInfo.environment["WORKBENCH_TEST_VULKAN_DEVICE"].flatMap(Int.init)
        ?? devices.first(where: { !$0.isGPU })?.index ?? devices.first?.index
      guard let chosen else {
        FileHandle.standardError.write(Data("Vulkan tests skipped: the loader reports no device\n".utf8))
        return nil
      }
      return try VulkanBackend(index: chosen, validation: true)
    } catch {
      FileHandle.standardError.write(Data("Vulkan tests skipped: \(error)\n".utf8))
      return nil
    }
  }()

  /// What the Vulkan suites say when they are skipped.
  public static let skipMessage =
    "no usable Vulkan device (lavapipe comes with mesa-vulkan-drivers; scripts/setup installs it): Vulkan tests skipped"

  public static var available: Bool { backend != nil }
}
