extension Tensor {
  /// The sum along `axis` (times `scale`), optionally keeping it as a dimension of size 1.
  func reduce(axis: Int, keepDims: Bool, scale: Float) -> Tensor {
    precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
    let outer = shape[..<axis].reduce(1, *)
    let inner = shape[(axis + 1)...].reduce(1, *)
    var outShape = shape
    if keepDims { outShape[axis] = 1 } else { outShape.remove(at: axis) }
    let out = Tensor(empty: outShape, on: backend)
    backend.execute(.sumAxis(out: out.view, x: view, outer: outer, axis: shape[axis], inner: inner, scale: scale))
    Tape.record(.sum(axis: axis, keepDims: keepDims, scale: scale), inputs: [self], output: out)
    return out
  }

  /// The sum along `axis`.
  public func sum(axis: Int, keepDims: Bool = false) -> Tensor { reduce(axis: axis, keepDims: keepDims, scale: 1) }

  /// The mean along `axis`.
  public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
    reduce(axis: axis, keepDims: keepDims, scale: 1 / Float(shape[axis]))
  }

  /// The sum of all elements, as a scalar tensor.
  public func sum() -> Tensor { reshaped([count]).sum(axis: 0).reshaped([]) }

  /// The mean of all elements, as a scalar tensor.
  public func mean() -> Tensor { reshaped([count]).mean(axis: 0).reshaped([]) }
}
