internal import CWorkbenchKernels
import Foundation

/// What the processor can run, read from `cpuid` (and, for vector registers, from what the
/// operating system saves: a hypervisor may report AVX-512 that the OS does not enable).
public struct CPUFeatures: Sendable, Equatable {
  /// `GenuineIntel`, `AuthenticAMD`, … ("" off x86-64).
  public var vendor: String
  /// The brand string, e.g. `AMD EPYC 9R14 96-Core Processor`.
  public var brand: String
  public var family: Int
  public var model: Int
  public var avx: Bool
  public var avx2: Bool
  public var fma: Bool
  public var avx512f: Bool
  public var avx512dq: Bool
  public var avx512bw: Bool
  public var avx512vl: Bool
  /// Further AVX-512 extensions and AMX, for display (`VNNI`, `BF16`, `FP16`, `AMX`).
  public var extensions: [String]
  /// The OS saves the YMM / ZMM registers (XCR0), so AVX / AVX-512 code may run.
  public var osSavesYMM: Bool
  public var osSavesZMM: Bool

  public init(
    vendor: String, brand: String, family: Int, model: Int, avx: Bool, avx2: Bool, fma: Bool, avx512f: Bool = false,
    avx512dq: Bool = false, avx512bw: Bool = false, avx512vl: Bool = false, extensions: [String] = [],
    osSavesYMM: Bool = true, osSavesZMM: Bool = true
  ) {
    self.vendor = vendor
    self.brand = brand
    self.family = family
    self.model = model
    self.avx = avx
    self.avx2 = avx2
    self.fma = fma
    self.avx512f = avx512f
    self.avx512dq = avx512dq
    self.avx512bw = avx512bw
    self.avx512vl = avx512vl
    self.extensions = extensions
    self.osSavesYMM = osSavesYMM
    self.osSavesZMM = osSavesZMM
  }

  /// This machine's processor.
  public static let host: CPUFeatures = {
    var raw = wb_cpu_features()
    wb_cpu_detect(&raw)
    func text<T>(_ tuple: T) -> String {
      withUnsafeBytes(of: tuple) { bytes in
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespaces)
      }
    }
    var extensions: [String] = []
    if raw.avx512vnni != 0 { extensions.append("VNNI") }
    if raw.avx512bf16 != 0 { extensions.append("BF16") }
    if raw.avx512fp16 != 0 { extensions.append("FP16") }
    if raw.amx != 0 { extensions.append("AMX") }
    return CPUFeatures(
      vendor: text(raw.vendor), brand: text(raw.brand), family: Int(raw.family), model: Int(raw.model),
      avx: raw.avx != 0, avx2: raw.avx2 != 0, fma: raw.fma != 0, avx512f: raw.avx512f != 0,
      avx512dq: raw.avx512dq != 0, avx512bw: raw.avx512bw != 0, avx512vl: raw.avx512vl != 0, extensions: extensions,
      osSavesYMM: raw.os_ymm != 0, osSavesZMM: raw.os_zmm != 0)
  }()

  public var isIntel: Bool { vendor == "GenuineIntel" }
  public var isAMD: Bool { vendor == "AuthenticAMD" }

  /// AVX2 and FMA, with the YMM registers saved by the OS.
  public var runsAVX2: Bool { avx2 && fma && osSavesYMM }
  /// AVX-512 F, DQ, BW and VL (what the AVX-512 kernel set is compiled for), with ZMM saved.
  public var runsAVX512: Bool { runsAVX2 && avx512f && avx512dq && avx512bw && avx512vl && osSavesZMM }

  /// The kernel sets this processor can run, slowest first.
  public var runnableKernelSets: [CPUKernelSet] {
    #if arch(x86_64)
      return [.generic] + (runsAVX2 ? [.avx2] : []) + (runsAVX512 ? [.avx512] : [])
    #else
      return [.generic]
    #endif
  }

  /// `AVX-512 (F, DQ, BW, VL, VNNI, BF16)`, `AVX2 + FMA`, `AVX`, or `SSE2`.
  public var isaDescription: String {
    if runsAVX512 { return "AVX-512 (" + (["F", "DQ", "BW", "VL"] + extensions).joined(separator: ", ") + ")" }
    if runsAVX2 { return "AVX2 + FMA" }
    if avx && osSavesYMM { return "AVX" }
    #if arch(x86_64)
      return "SSE2"
    #else
      return "portable"
    #endif
  }

  /// `AMD EPYC (AuthenticAMD family 23 model 1)`.
  public var modelDescription: String {
    let name = brand.isEmpty ? "unknown processor" : brand
    return vendor.isEmpty ? name : "\(name) (\(vendor) family \(family) model \(model))"
  }
}
