extension Tensor {
  /// The same elements with another shape (no copy). One dimension may be -1 (inferred).
  public func reshaped(_ newShape: [Int]) -> Tensor {
    var resolved = newShape
    if let unknown = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
      precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
      resolved[unknown] = count / known
    }
    precondition(resolved.reduce(1, *) == count, "cannot reshape \(shape) (\(count) elements) to \(newShape)")
    let out = Tensor(shape: resolved, dtype: dtype, storage: storage, offset: offset)
    Tape.record(.reshape, inputs: [self], output: out)
    return out
  }

  /// The dimensions reordered: `out.shape[i] == shape[order[i]]` (a copy).
  public func permuted(_ order: [Int]) -> Tensor {
    precondition(order.sorted() == Array(0..<rank), "\(order) is not a permutation of \(rank) axes")
    let outShape = order.map { shape[$0] }
    let own = Tensor.strides(of: shape)
    let out = Tensor(empty: outShape, dtype: dtype, on: backend)
    if count > 0 {
      backend.execute(.stridedCopy(out: out.view, x: view, shape: outShape, strideX: order.map { own[$0] }))
    }
    Tape.record(.permute(order), inputs: [self], output: out)
    return out
  }

  /// Elements `range` along `axis` (a copy).
  public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
    precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
    precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice \(range) out of 0..<\(shape[axis])")
    var outShape = shape
    outShape[axis] = range.count
    let own = Tensor.strides(of: shape)
    let out = Tensor(empty: outShape, dtype: dtype, on: backend)
    if out.count > 0 {
      let start = BufferView(buffer: storage.buffer, offset: offset + range.lowerBound * own[axis], count: count)
      backend.execute(.stridedCopy(out: out.view, x: start, shape: outShape, strideX: own))
    }
    Tape.record(.slice(axis: axis, start: range.lowerBound), inputs: [self], output: out)
    return out
  }

  /// This tensor summed down to `target`, a shape it was broadcast from (for gradients).
  func summed(to target: [Int]) -> Tensor {
    if shape == target { return self }
    var current = self
    let lead = shape.count - target.count
    if lead > 0 {
      let outer = shape[..<lead].reduce(1, *)
      current = current.reshaped([outer] + Array(shape[lead...])).sum(axis: 0, keepDims: false)
    }
    for axis in 0..<target.count where target[axis] == 1 && current.shape[axis] != 1 {
      current = current.sum(axis: axis, keepDims: true)
    }
    return current.reshaped(target)
  }

  /// This tensor stretched to `target` by broadcasting (a copy; for gradients).
  func broadcast(to target: [Int]) -> Tensor {
    if shape == target { return self }
    let out = Tensor(empty: target, on: backend)
    backend.execute(
      .stridedCopy(out: out.view, x: view, shape: target, strideX: Tensor.broadcastStrides(shape, to: target)))
    return out
  }
}
