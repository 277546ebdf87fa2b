import Foundation
import WorkbenchFuzzing

/// `workbench-fuzz`. Built by `scripts/fuzz` (with `-sanitize=fuzzer` and `FUZZING`) it is a
/// libFuzzer driver for the target named by `WORKBENCH_FUZZ_TARGET`; with `WORKBENCH_FUZZ_SEEDS=DIR`
/// it writes the seeds only Swift can make and exits. Built plainly, `workbench-fuzz TARGET FILE…`
/// feeds each file to the target once (to replay what a fuzzing run found).
@main struct FuzzMain {
  static func main() throws {
    if let folder = ProcessInfo.processInfo.environment["WORKBENCH_FUZZ_SEEDS"] {
      try FuzzSeeds.write(to: URL(fileURLWithPath: folder))
      return
    }
    #if FUZZING
      let name = ProcessInfo.processInfo.environment["WORKBENCH_FUZZ_TARGET"] ?? ""
      guard let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        FileHandle.standardError.write(Data("set WORKBENCH_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
      }
      chosen = target
      var argc = CommandLine.argc
      var argv = CommandLine.unsafeArgv
      exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    #else
      let arguments = Array(CommandLine.arguments.dropFirst())
      guard let name = arguments.first, let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        print("usage: workbench-fuzz \(names) FILE…")
        exit(2)
      }
      for path in arguments.dropFirst() {
        target.run(try Data(contentsOf: URL(fileURLWithPath: path)))
        print("\(path): ok")
      }
    #endif
  }
}

#if FUZZING
  /// The target the driver feeds (set once, before fuzzing starts).
  nonisolated(unsafe) var chosen = FuzzTarget.config

  /// One input, as libFuzzer calls it.
  func fuzzOne(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    chosen.run(bytes.map { Data(bytes: $0, count: count) } ?? Data())
    return 0
  }

  /// libFuzzer's driver (runs the fuzzing loop with libFuzzer's command-line flags).
  @_silgen_name("LLVMFuzzerRunDriver")
  func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt
#endif
