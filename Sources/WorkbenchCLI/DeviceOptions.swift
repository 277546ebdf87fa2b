import ArgumentParser
import Foundation
import WorkbenchKit
import WorkbenchTensor
import WorkbenchVulkan

/// `--device`, shared by every command that runs a model.
struct DeviceOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Where models compute: auto, cpu, vulkan (the first Vulkan GPU) or vulkan:N (`workbench devices` lists N).",
      discussion: "auto takes the first Vulkan GPU, else the CPU, and says which."))
  var device = "auto"

  func validate() throws {
    do { _ = try DeviceChoice(parsing: device) } catch { throw ValidationError("\(error)") }
  }

  /// Opens the device; `auto` reports its choice on stderr unless `quiet`.
  func select(quiet: Bool = false) throws -> SelectedDevice {
    try Self.select(device, quiet: quiet)
  }

  /// Opens the device named like `--device` does.
  static func select(_ device: String, quiet: Bool = false) throws -> SelectedDevice {
    do {
      let selected = try DeviceSelector.select(try DeviceChoice(parsing: device))
      if let note = selected.note, !quiet { writeStandardErrorLine(note) }
      if ProcessInfo.processInfo.environment["WORKBENCH_PROFILE"] == "1" { registerProfileAtExit }
      return selected
    } catch let error as VulkanError {
      throw CommandError("--device \(device): \(error)")
    }
  }
}

/// Prints the profile table when the process exits (registered once, however often a device is
/// selected).
private let registerProfileAtExit: Void = { atexit { printVulkanProfiles() } }()

/// With WORKBENCH_PROFILE=1: device time per kernel, from Vulkan timestamp queries, on stderr.
func printVulkanProfiles() {
  for backend in DeviceSelector.openedBackends {
    guard backend.timestampsAvailable else {
      writeStandardErrorLine("WORKBENCH_PROFILE: \(backend.name) has no timestamp queries on its compute queue")
      continue
    }
    let rows = backend.profile()
    let total = rows.reduce(0) { $0 + $1.milliseconds }
    var table = TextTable(["KERNEL", "CALLS", "DEVICE MS", "MS/CALL", "SHARE"])
    for row in rows {
      table.append([
        row.name, "\(row.calls)", String(format: "%.2f", row.milliseconds),
        String(format: "%.4f", row.milliseconds / Double(max(row.calls, 1))),
        String(format: "%.1f%%", 100 * row.milliseconds / max(total, 1e-12)),
      ])
    }
    writeStandardErrorLine("WORKBENCH_PROFILE: device time per kernel on \(backend.name)")
    for line in table.render().split(separator: "\n", omittingEmptySubsequences: false) {
      writeStandardErrorLine(String(line))
    }
  }
}
