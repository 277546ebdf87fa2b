import Testing
import WorkbenchTensor

/// Processors the selection must handle, described by their cpuid features.
private enum Processor {
  /// Intel Xeon, family 6 model 207 (Emerald Rapids): AVX-512 with VNNI, BF16 and FP16; a model
  /// Debian 12's OpenBLAS 0.3.21 does not know (it falls back to its Prescott kernels).
  static let emeraldRapids = CPUFeatures(
    vendor: "GenuineIntel", brand: "INTEL(R) XEON(R) PLATINUM 8581C CPU", family: 6, model: 207, avx: true,
    avx2: true, fma: true, avx512f: true, avx512dq: true, avx512bw: true, avx512vl: true,
    extensions: ["VNNI", "BF16", "FP16", "AMX"])
  /// AMD EPYC Zen 4 (family 25 model 17): AVX-512 on 256-bit units.
  static let zen4 = CPUFeatures(
    vendor: "AuthenticAMD", brand: "AMD EPYC 9R14 96-Core Processor", family: 25, model: 17, avx: true, avx2: true,
    fma: true, avx512f: true, avx512dq: true, avx512bw: true, avx512vl: true, extensions: ["VNNI", "BF16"])
  /// AMD EPYC Zen 1 (family 23 model 1): AVX2 and FMA.
  static let zen1 = CPUFeatures(
    vendor: "AuthenticAMD", brand: "AMD EPYC", family: 23, model: 1, avx: true, avx2: true, fma: true)
  /// Intel Haswell: AVX2 and FMA.
  static let haswell = CPUFeatures(
    vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) CPU E5-2680 v3", family: 6, model: 63, avx: true, avx2: true,
    fma: true)
  /// Intel Sandy Bridge: AVX, no AVX2.
  static let sandyBridge = CPUFeatures(
    vendor: "GenuineIntel", brand: "Intel(R) Xeon(R) CPU E5-2670", family: 6, model: 45, avx: true, avx2: false,
    fma: false)
  /// A processor with SSE only.
  static let sseOnly = CPUFeatures(
    vendor: "GenuineIntel", brand: "Intel(R) Core(TM)2 Duo", family: 6, model: 23, avx: false, avx2: false, fma: false,
    osSavesYMM: false, osSavesZMM: false)
}

@Suite struct CPUKernelSelectionTests {
  @Test func avx512IntelRunsTheAVX512KernelsAndOpenBLASSkylakeX() {
    let cpu = Processor.emeraldRapids
    #expect(cpu.runnableKernelSets == [.generic, .avx2, .avx512])
    let chosen = CPUKernelSelection.choose(for: cpu, environment: [:])
    #expect(chosen.kernels == .avx512 && chosen.gemm == .own && !chosen.kernelsForced && chosen.notes.isEmpty)
    #expect(chosen.blasCoreType == nil)
    let blas = CPUKernelSelection.choose(for: cpu, environment: ["WORKBENCH_GEMM": "openblas"])
    #expect(blas.gemm == .openblas && blas.blasCoreType == "SkylakeX" && !blas.blasCoreForced)
    #expect(cpu.isaDescription == "AVX-512 (F, DQ, BW, VL, VNNI, BF16, FP16, AMX)")
  }

  @Test func zen4RunsTheAVX512KernelsButOpenBLASZen() {
    let chosen = CPUKernelSelection.choose(for: Processor.zen4, environment: ["WORKBENCH_GEMM": "openblas"])
    #expect(chosen.kernels == .avx512)
    #expect(chosen.blasCoreType == "Zen")
  }

  @Test func avx2ProcessorsRunTheAVX2Kernels() {
    for (cpu, core) in [(Processor.zen1, "Zen"), (Processor.haswell, "Haswell")] {
      #expect(cpu.runnableKernelSets == [.generic, .avx2])
      let chosen = CPUKernelSelection.choose(for: cpu, environment: ["WORKBENCH_GEMM": "OpenBLAS"])
      #expect(chosen.kernels == .avx2 && chosen.blasCoreType == core, "\(cpu.brand)")
      #expect(cpu.isaDescription == "AVX2 + FMA")
    }
  }

  @Test func processorsWithoutAVX2RunTheBaselineKernels() {
    let sandy = CPUKernelSelection.choose(for: Processor.sandyBridge, environment: ["WORKBENCH_GEMM": "openblas"])
    #expect(sandy.kernels == .generic && sandy.blasCoreType == "Sandybridge")
    let old = CPUKernelSelection.choose(for: Processor.sseOnly, environment: ["WORKBENCH_GEMM": "openblas"])
    #expect(old.kernels == .generic && old.blasCoreType == nil)
    #expect(Processor.sseOnly.runnableKernelSets == [.generic])
  }

  @Test func avx512ThatTheOSDoesNotSaveIsNotUsed() {
    var cpu = Processor.emeraldRapids
    cpu.osSavesZMM = false
    #expect(CPUKernelSelection.choose(for: cpu, environment: [:]).kernels == .avx2)
    cpu.osSavesYMM = false
    #expect(CPUKernelSelection.choose(for: cpu, environment: [:]).kernels == .generic)
  }

  @Test func aSlowerKernelSetCanBeForcedAndIsReported() {
    let chosen = CPUKernelSelection.choose(for: Processor.zen1, environment: ["WORKBENCH_CPU_KERNELS": "generic"])
    #expect(chosen.kernels == .generic && chosen.kernelsForced)
    #expect(chosen.notes.count == 1 && chosen.notes[0].contains("forced to generic"), "\(chosen.notes)")
  }

  @Test func aKernelSetTheProcessorCannotRunIsRefused() {
    let chosen = CPUKernelSelection.choose(for: Processor.zen1, environment: ["WORKBENCH_CPU_KERNELS": "avx512"])
    #expect(chosen.kernels == .avx2 && !chosen.kernelsForced)
    #expect(chosen.notes.count == 1 && chosen.notes[0].contains("cannot run it"), "\(chosen.notes)")
    let unknown = CPUKernelSelection.choose(for: Processor.zen1, environment: ["WORKBENCH_CPU_KERNELS": "sse9"])
    #expect(unknown.kernels == .avx2 && unknown.notes.count == 1, "\(unknown.notes)")
  }

  @Test func theUsersOpenBLASCoreTypeIsRespectedAndAPreAVX2CoreIsWarnedAbout() {
    let chosen = CPUKernelSelection.choose(
      for: Processor.emeraldRapids, environment: ["WORKBENCH_GEMM": "openblas", "OPENBLAS_CORETYPE": "Prescott"])
    #expect(chosen.blasCoreType == "Prescott" && chosen.blasCoreForced)
    let warning = CPUKernelSelection.blasWarning(cpu: Processor.emeraldRapids, loadedCore: "Prescott", forced: true)
    #expect(warning?.contains("unset OPENBLAS_CORETYPE") == true, "\(warning ?? "no warning")")
    // What OpenBLAS 0.3.21 picks by itself on Emerald Rapids is warned about too.
    #expect(CPUKernelSelection.blasWarning(cpu: Processor.emeraldRapids, loadedCore: "Prescott", forced: false) != nil)
    #expect(CPUKernelSelection.blasWarning(cpu: Processor.emeraldRapids, loadedCore: "SkylakeX", forced: false) == nil)
    #expect(CPUKernelSelection.blasWarning(cpu: Processor.sandyBridge, loadedCore: "Sandybridge", forced: false) == nil)
  }

  @Test func anOpenBLASCoreTypeTheProcessorCannotRunIsRefused() {
    let chosen = CPUKernelSelection.choose(
      for: Processor.zen1, environment: ["WORKBENCH_GEMM": "openblas", "OPENBLAS_CORETYPE": "SkylakeX"])
    #expect(chosen.blasCoreType == "Zen" && !chosen.blasCoreForced)
    #expect(chosen.notes.count == 1 && chosen.notes[0].contains("need AVX-512"), "\(chosen.notes)")
    let old = CPUKernelSelection.choose(
      for: Processor.sandyBridge, environment: ["WORKBENCH_GEMM": "openblas", "OPENBLAS_CORETYPE": "haswell"])
    #expect(old.blasCoreType == "Sandybridge" && old.notes.count == 1, "\(old.notes)")
  }

  @Test func thisMachineIsDetected() {
    let cpu = CPUFeatures.host
    #if arch(x86_64)
      #expect(cpu.vendor == "GenuineIntel" || cpu.vendor == "AuthenticAMD" || !cpu.vendor.isEmpty)
      #expect(cpu.runnableKernelSets.first == .generic)
      // The kernels running now are the widest this machine runs unless the environment forced one.
      let runtime = CPUKernelRuntime.shared
      if !runtime.selection.kernelsForced { #expect(runtime.selection.kernels == cpu.runnableKernelSets.max()) }
    #endif
  }
}
