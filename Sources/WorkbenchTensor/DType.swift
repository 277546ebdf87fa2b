/// The element type of a tensor. Training runs in `float32`; token ids are `int32`. Half
/// precision types are added here, with their byte sizes, when a backend computes in them.
public enum DType: String, Sendable, CaseIterable {
  case float32
  case int32

  /// Bytes per element.
  public var byteSize: Int {
    switch self {
    case .float32, .int32: return 4
    }
  }
}
