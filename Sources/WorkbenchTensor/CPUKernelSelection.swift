internal import CWorkbenchKernels
import Foundation

/// The builds of the CPU backend's C kernels (elementwise, LayerNorm, cross-entropy, attention,
/// AdamW, reductions): the same source compiled for baseline x86-64, for AVX2 + FMA and for
/// AVX-512 (F, DQ, BW, VL).
public enum CPUKernelSet: String, Sendable, CaseIterable, Comparable {
  case generic, avx2, avx512

  var code: Int32 {
    switch self {
    case .generic: return Int32(WB_KERNELS_GENERIC.rawValue)
    case .avx2: return Int32(WB_KERNELS_AVX2.rawValue)
    case .avx512: return Int32(WB_KERNELS_AVX512.rawValue)
    }
  }

  public static func < (a: Self, b: Self) -> Bool { a.code < b.code }
}

/// What runs the matrix multiplies on the CPU.
public enum CPUGemm: String, Sendable, CaseIterable {
  /// workbench's own packed multiply, built for the kernel set (the default).
  case own
  /// OpenBLAS's `cblas_sgemm`, opened at run time with a core type chosen from the features.
  case openblas
}

/// Which kernels the CPU backend runs on a processor: chosen from its features, never from a
/// library's table of processor models (which misses new models and falls back to SSE3).
public struct CPUKernelSelection: Sendable, Equatable {
  /// The C kernels' build (and the own multiply's).
  public var kernels: CPUKernelSet
  /// Set by `WORKBENCH_CPU_KERNELS` rather than chosen.
  public var kernelsForced: Bool
  /// The matrix multiply: `own` unless `WORKBENCH_GEMM=openblas`.
  public var gemm: CPUGemm
  /// The OpenBLAS core type to run (`OPENBLAS_CORETYPE`) when OpenBLAS multiplies, or nil to
  /// leave OpenBLAS's own detection.
  public var blasCoreType: String?
  /// The core type came from the user's `OPENBLAS_CORETYPE`.
  public var blasCoreForced: Bool
  /// One line each: a forced slower choice, an ignored setting.
  public var notes: [String]

  /// OpenBLAS core types without AVX2 kernels: running one on a processor with AVX2 leaves most
  /// of the machine's matrix-multiply speed unused.
  public static let preAVX2BlasCores: Set<String> = [
    "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge", "katmai", "coppermine",
    "northwood", "banias", "opteron", "opteron_sse3", "barcelona", "bobcat", "bulldozer", "piledriver", "steamroller",
    "athlon", "nano", "generic",
  ]

  /// The selection for `features` under `environment` (`WORKBENCH_CPU_KERNELS`, `WORKBENCH_GEMM`,
  /// `OPENBLAS_CORETYPE`).
  ///
  /// Kernels: the widest set the processor and OS run, unless `WORKBENCH_CPU_KERNELS` names one it
  /// can run. Multiplies: workbench's own unless `WORKBENCH_GEMM=openblas`. OpenBLAS: the user's `OPENBLAS_CORETYPE` when set; else `SkylakeX` on Intel with
  /// AVX-512; `Zen` on AMD and `Haswell` elsewhere with AVX2 (OpenBLAS 0.3.21's AVX-512 kernels are
  /// not used on AMD: old OpenBLAS builds misbehave on Zen 4, and its AVX-512 units are 256 bits
  /// wide, so the AVX2 kernels lose little there); `Sandybridge` with AVX only; OpenBLAS's own
  /// detection below that.
  public static func choose(for cpu: CPUFeatures, environment: [String: String]) -> CPUKernelSelection {
    var notes: [String] = []
    let runnable = cpu.runnableKernelSets
    var kernels = runnable.max() ?? .generic
    var forced = false
    if let asked = environment["WORKBENCH_CPU_KERNELS"]?.lowercased(), !asked.isEmpty, asked != "auto" {
      if let set = CPUKernelSet(rawValue: asked) {
        if runnable.contains(set) {
          kernels = set
          forced = true
        } else {
          notes.append(
            "WORKBENCH_CPU_KERNELS=\(asked) ignored: this processor (\(cpu.isaDescription)) cannot run it; "
              + "using \(kernels.rawValue)")
        }
      } else {
        notes.append(
          "WORKBENCH_CPU_KERNELS=\(asked) ignored: not one of auto, "
            + CPUKernelSet.allCases.map(\.rawValue).joined(separator: ", "))
      }
    }
    if forced && kernels < (runnable.max() ?? .generic) {
      notes.append(
        "CPU kernels forced to \(kernels.rawValue) by WORKBENCH_CPU_KERNELS on a processor with "
          + "\(cpu.isaDescription): slower than \(runnable.max()!.rawValue)")
    }
    var gemm = CPUGemm.own
    if let asked = environment["WORKBENCH_GEMM"]?.lowercased(), !asked.isEmpty {
      if let choice = CPUGemm(rawValue: asked) {
        gemm = choice
      } else {
        notes.append("WORKBENCH_GEMM=\(asked) ignored: not one of own, openblas")
      }
    }
    var core: String?
    var coreForced = false
    let asked = environment["OPENBLAS_CORETYPE"] ?? ""
    if gemm == .openblas && !asked.isEmpty {
      if let needed = requiredISA(ofBlasCore: asked, on: cpu) {
        notes.append(
          "OPENBLAS_CORETYPE=\(asked) ignored: its kernels need \(needed), which this processor "
            + "(\(cpu.isaDescription)) does not run; they would stop workbench with an illegal instruction")
      } else {
        core = asked
        coreForced = true
      }
    }
    if gemm == .openblas && !coreForced {
      if cpu.isIntel && cpu.runsAVX512 {
        core = "SkylakeX"
      } else if cpu.runsAVX2 {
        core = cpu.isAMD ? "Zen" : "Haswell"
      } else if cpu.avx && cpu.osSavesYMM {
        core = "Sandybridge"
      }
    }
    return CPUKernelSelection(
      kernels: kernels, kernelsForced: forced, gemm: gemm, blasCoreType: core, blasCoreForced: coreForced, notes: notes)
  }

  /// OpenBLAS core types whose kernels need AVX-512 or AVX2 (OpenBLAS itself accepts any forced
  /// core type, and the first multiply then stops the process with an illegal instruction).
  static let avx512BlasCores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
  static let avx2BlasCores: Set<String> = ["haswell", "zen", "skylake", "excavator"]

  /// What `core` needs that `cpu` does not run, or nil when it can run it.
  static func requiredISA(ofBlasCore core: String, on cpu: CPUFeatures) -> String? {
    let name = core.lowercased()
    if avx512BlasCores.contains(name) && !cpu.runsAVX512 { return "AVX-512" }
    if avx2BlasCores.contains(name) && !cpu.runsAVX2 { return "AVX2 + FMA" }
    if name == "sandybridge" && !(cpu.avx && cpu.osSavesYMM) { return "AVX" }
    return nil
  }

  /// A warning when the matrix multiplies would run pre-AVX2 kernels on a processor with AVX2.
  public static func blasWarning(cpu: CPUFeatures, loadedCore: String, forced: Bool) -> String? {
    guard cpu.runsAVX2, preAVX2BlasCores.contains(loadedCore.lowercased()) else { return nil }
    return "OpenBLAS runs its \(loadedCore) kernels on a processor with \(cpu.isaDescription)"
      + (forced ? " (OPENBLAS_CORETYPE=\(loadedCore))" : "")
      + ": matrix multiplies are several times slower than they could be"
      + (forced ? "; unset OPENBLAS_CORETYPE to let workbench choose" : "")
  }
}

/// The CPU backend's kernels as set up in this process: the selection, and the BLAS library that
/// was opened for it.
public struct CPUKernelRuntime: Sendable {
  public let cpu: CPUFeatures
  public let selection: CPUKernelSelection
  /// OpenBLAS's core name as it reports it (`Zen`, `SkylakeX`, …), or nil without OpenBLAS.
  public let blasCore: String?
  /// OpenBLAS's build line (`OpenBLAS 0.3.21 DYNAMIC_ARCH …`), or nil.
  public let blasConfig: String?
  /// The warnings printed when the backend started.
  public let warnings: [String]

  /// Set up once per process, before the first kernel: the kernel set, and OpenBLAS when it is to
  /// multiply, opened with the chosen core type (OpenBLAS reads `OPENBLAS_CORETYPE` when it loads).
  public static let shared: CPUKernelRuntime = {
    let cpu = CPUFeatures.host
    var selection = CPUKernelSelection.choose(for: cpu, environment: ProcessInfo.processInfo.environment)
    wb_set_kernel_set(selection.kernels.code)
    var warnings = selection.notes
    var core: String?
    var config: String?
    if selection.gemm == .openblas {
      if let core = selection.blasCoreType, !selection.blasCoreForced { setenv("OPENBLAS_CORETYPE", core, 1) }
      let opened = ["libopenblas.so.0", "libopenblas.so"].contains { name in name.withCString { wb_blas_open($0) == 0 }
      }
      if opened && wb_use_blas(1) == 0 {
        core = Self.nonEmpty(wb_blas_corename())
        config = Self.nonEmpty(wb_blas_config())
        if let core,
          let warning = CPUKernelSelection.blasWarning(cpu: cpu, loadedCore: core, forced: selection.blasCoreForced)
        {
          warnings.append(warning)
        }
      } else {
        warnings.append(
          "WORKBENCH_GEMM=openblas: OpenBLAS (libopenblas.so.0) could not be opened; workbench's own multiply runs "
            + "(install OpenBLAS with scripts/setup, Debian: libopenblas0)")
        selection.gemm = .own
      }
    }
    for warning in warnings {
      FileHandle.standardError.write(Data("workbench: warning: \(warning)\n".utf8))
    }
    return CPUKernelRuntime(cpu: cpu, selection: selection, blasCore: core, blasConfig: config, warnings: warnings)
  }()

  /// The C string, or nil when it is empty.
  private static func nonEmpty(_ text: UnsafePointer<CChar>) -> String? {
    let string = String(cString: text)
    return string.isEmpty ? nil : string
  }

  /// `workbench avx2 (6×16 tiles)` for the own multiply; `OpenBLAS 0.3.21 Zen` (with
  /// `(OPENBLAS_CORETYPE)` when the user set the core type).
  public var gemmDescription: String {
    guard selection.gemm == .openblas else {
      let tile: String
      switch selection.kernels {
      case .generic: tile = "6×8"
      case .avx2: tile = "6×16"
      case .avx512: tile = "14×32"
      }
      return "workbench \(selection.kernels.rawValue) (\(tile) tiles)"
    }
    let version = blasConfig?.split(separator: " ").prefix(2).joined(separator: " ") ?? "OpenBLAS"
    return "\(version) \(blasCore ?? "?")" + (selection.blasCoreForced ? " (OPENBLAS_CORETYPE)" : "")
  }

  /// `avx2` (with `, forced` under `WORKBENCH_CPU_KERNELS`).
  public var kernelsDescription: String {
    selection.kernels.rawValue + (selection.kernelsForced ? " (WORKBENCH_CPU_KERNELS)" : "")
  }

  /// One line for records and tables: `AMD EPYC, AVX2 + FMA; kernels avx2; sgemm workbench avx2 (6×16 tiles)`.
  public var summary: String {
    "\(cpu.brand.isEmpty ? "unknown CPU" : cpu.brand), \(cpu.isaDescription); kernels \(kernelsDescription); "
      + "sgemm \(gemmDescription)"
  }

  /// Runs `body` with the calling thread's kernels forced to `set` (which the processor must run):
  /// for tests that check every kernel set.
  public static func withKernelSet<T>(_ set: CPUKernelSet, _ body: () throws -> T) rethrows -> T {
    precondition(shared.cpu.runnableKernelSets.contains(set), "this processor cannot run the \(set) kernels")
    wb_set_thread_kernel_set(set.code)
    defer { wb_set_thread_kernel_set(-1) }
    return try body()
  }
}

/// The builds of workbench's own matrix multiply, callable one by one (for tests and benchmarks).
public enum CPUGemmBuild: String, Sendable, CaseIterable {
  case generic, avx2, avx512
  /// The AVX-512 build's 14×32 tiling compiled for AVX2, so its logic can be checked on a
  /// machine without AVX-512.
  case avx512TilingOnAVX2

  /// The builds this processor can run.
  public static var runnable: [CPUGemmBuild] {
    let sets = CPUFeatures.host.runnableKernelSets
    return allCases.filter { build in
      switch build {
      case .generic: return true
      case .avx2, .avx512TilingOnAVX2: return sets.contains(.avx2)
      case .avx512: return sets.contains(.avx512)
      }
    }
  }

  var code: Int32 {
    switch self {
    case .generic: return Int32(WB_GEMM_GENERIC.rawValue)
    case .avx2: return Int32(WB_GEMM_AVX2.rawValue)
    case .avx512: return Int32(WB_GEMM_AVX512.rawValue)
    case .avx512TilingOnAVX2: return Int32(WB_GEMM_WIDE_ON_AVX2.rawValue)
    }
  }

  /// C = alpha·op(A)·op(B) + beta·C (+ `bias` on every row), row-major with leading dimensions, on
  /// the calling thread.
  public func multiply(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int, b: [Float],
    ldb: Int, beta: Float, c: inout [Float], ldc: Int, bias: [Float]? = nil
  ) {
    precondition(Self.runnable.contains(self), "this processor cannot run the \(self) multiply")
    precondition(a.count >= (transposeA ? k * lda : m * lda) && b.count >= (transposeB ? n * ldb : k * ldb))
    precondition(c.count >= m * ldc && ldc >= n)
    precondition(bias.map { $0.count >= n } ?? true)
    c.withUnsafeMutableBufferPointer { c in
      if let bias {
        wb_gemm_own(
          code, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c.baseAddress, ldc, bias)
      } else {
        wb_gemm_own(
          code, transposeA ? 1 : 0, transposeB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c.baseAddress, ldc, nil)
      }
    }
  }
}
