extension Tensor {
  /// A float32 tensor holding `values` (row-major).
  public convenience init(_ values: [Float], shape: [Int], on backend: any Backend) {
    precondition(values.count == shape.reduce(1, *), "\(values.count) values do not fill shape \(shape)")
    self.init(empty: shape, dtype: .float32, on: backend)
    values.withUnsafeBytes { backend.write($0, to: view, elementSize: 4) }
  }

  /// An int32 tensor (token ids, targets) holding `values`.
  public convenience init(ids values: [Int32], shape: [Int], on backend: any Backend) {
    precondition(values.count == shape.reduce(1, *), "\(values.count) ids do not fill shape \(shape)")
    self.init(empty: shape, dtype: .int32, on: backend)
    values.withUnsafeBytes { backend.write($0, to: view, elementSize: 4) }
  }

  /// A float32 tensor filled with `value`.
  public static func full(_ shape: [Int], _ value: Float, on backend: any Backend) -> Tensor {
    let tensor = Tensor(empty: shape, on: backend)
    backend.execute(.fill(tensor.view, value))
    return tensor
  }

  /// A float32 tensor of zeros.
  public static func zeros(_ shape: [Int], on backend: any Backend) -> Tensor { full(shape, 0, on: backend) }

  /// The elements, copied to the host (waits for the work that produces them).
  public func toArray() -> [Float] {
    precondition(dtype == .float32, "toArray() reads float32; this tensor is \(dtype)")
    var values = [Float](repeating: 0, count: count)
    values.withUnsafeMutableBytes { backend.read(view, elementSize: 4, into: $0) }
    return values
  }

  /// The ids, copied to the host.
  public func toInt32Array() -> [Int32] {
    precondition(dtype == .int32, "toInt32Array() reads int32; this tensor is \(dtype)")
    var values = [Int32](repeating: 0, count: count)
    values.withUnsafeMutableBytes { backend.read(view, elementSize: 4, into: $0) }
    return values
  }

  /// The value of a one-element tensor, copied to the host.
  public func item() -> Float {
    precondition(count == 1, "item() needs one element; shape is \(shape)")
    return toArray()[0]
  }

  /// Overwrites the elements with `values` (host → device).
  public func assign(_ values: [Float]) {
    precondition(values.count == count && dtype == .float32, "assigning \(values.count) floats to \(self)")
    values.withUnsafeBytes { backend.write($0, to: view, elementSize: 4) }
  }

  /// Overwrites the elements `offset..<offset + values.count` with `values` (host → device).
  public func assign(_ values: [Float], at offset: Int) {
    precondition(
      dtype == .float32 && offset >= 0 && offset + values.count <= count,
      "assigning \(values.count) floats at \(offset) to \(self)")
    let target = BufferView(buffer: storage.buffer, offset: self.offset + offset, count: values.count)
    values.withUnsafeBytes { backend.write($0, to: target, elementSize: 4) }
  }

  /// Overwrites the elements with those of `other` (same count), on the device.
  public func copy(from other: Tensor) {
    precondition(other.count == count && other.dtype == dtype, "copying \(other) into \(self)")
    backend.execute(.stridedCopy(out: view, x: other.view, shape: [count], strideX: [1]))
  }
}
