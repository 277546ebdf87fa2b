internal import CVulkanCompute
internal import CWorkbenchKernels
import Foundation
import Synchronization
import WorkbenchTensor

/// A range of device memory of the Vulkan backend.
final class VulkanBuffer: DeviceBuffer, @unchecked Sendable {
  let handle: OpaquePointer
  let byteCount: Int

  init(handle: OpaquePointer, byteCount: Int) {
    self.handle = handle
    self.byteCount = byteCount
  }
}

/// The Vulkan backend: every kernel is a compute shader from `shaders/`, recorded into command
/// buffers and submitted only when the host reads a value (or a command buffer fills). Failures
/// while recording (out of memory, a lost device) are kept, the work after them is skipped, and
/// `synchronize()` throws them — the trainer calls it whenever it reads the loss.
public final class VulkanBackend: Backend, @unchecked Sendable {
  public let device: VulkanDevice
  public let name: String
  nonisolated(unsafe) private let context: OpaquePointer
  /// What `allocate` hands out after a failure, until `synchronize()` reports it.
  nonisolated(unsafe) private let placeholder: OpaquePointer
  private let lock = Mutex<State>(State())
  private let elementwiseBlock: Int
  private let attentionBlock: Int
  private let matmulTiles: MatmulTiles

  struct State {
    var free: [Int: [VulkanBuffer]] = [:]
    var pooledBytes = 0
    var pipelines: [String: Int32] = [:]
    var failure: VulkanError?
  }

  /// Tile sizes of the matrix multiply (its specialization constants).
  struct MatmulTiles {
    let bm, bn, bk, tm, tn: Int
    var threads: Int { (bm / tm) * (bn / tn) }
    var sharedBytes: Int { 4 * bk * (bm + bn) }
    var constants: [UInt32] { [threads, bm, bn, bk, tm, tn].map { UInt32($0) } }
  }

  /// The pool never keeps more than this many bytes of free buffers.
  static let poolLimit = 1 << 30

  /// Opens Vulkan device `index` (as listed by `VulkanDevice.all()`). With `validation` (or
  /// `WORKBENCH_VULKAN_VALIDATION=1`) the Khronos validation layer checks every call.
  /// - Throws: `VulkanError` when there is no such device or it cannot be opened.
  public init(index: Int, validation: Bool = false) throws {
    let environment = ProcessInfo.processInfo.environment
    let validate = validation || environment["WORKBENCH_VULKAN_VALIDATION"] == "1"
    var created: OpaquePointer?
    let status = Self.cacheDirectory.path.withCString { wbvk_create(Int32(index), validate ? 1 : 0, $0, &created) }
    guard status == WBVK_OK, let created else { throw VulkanError.last(status) }
    var spare: OpaquePointer?
    let reserved = wbvk_buffer_create(created, 4, &spare)
    guard reserved == WBVK_OK, let spare else {
      let error = VulkanError.last(reserved)
      wbvk_destroy(created)
      throw error
    }
    context = created
    placeholder = spare
    device = VulkanDevice(index: index, info: wbvk_info(created).pointee)
    name = "vulkan:\(index) (\(device.name))"
    let limit = min(256, device.maxInvocations, device.maxGroupSize)
    elementwiseBlock = 1 << (Int.bitWidth - 1 - limit.leadingZeroBitCount)  // a power of two (reductions)
    attentionBlock = min(64, elementwiseBlock)
    // 64×64 tiles of 256 threads on GPUs; a CPU-type device runs a workgroup on one core, where
    // fewer invocations between barriers are faster.
    let large = MatmulTiles(bm: 64, bn: 64, bk: 16, tm: 4, tn: 4)
    let small = MatmulTiles(bm: 32, bn: 32, bk: 16, tm: 4, tn: 4)
    matmulTiles =
      device.isGPU && large.threads <= min(device.maxInvocations, device.maxGroupSize)
        && large.sharedBytes <= device.maxSharedMemory
      ? large : small
    if environment["WORKBENCH_PROFILE"] == "1" { wbvk_set_profiling(created, 1) }
  }

  deinit { wbvk_destroy(context) }

  /// `$XDG_CACHE_HOME/workbench/vulkan` (or `~/.cache/...`): compiled shaders and the pipeline cache.
  static var cacheDirectory: URL {
    let environment = ProcessInfo.processInfo.environment
    let base =
      environment["XDG_CACHE_HOME"].map { URL(fileURLWithPath: $0) }
      ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
    return base.appendingPathComponent("workbench/vulkan")
  }

  /// Validation messages reported since the device was opened (with validation on).
  public var validationMessages: Int { Int(wbvk_validation_messages(context)) }

  // MARK: memory

  public func allocate(bytes: Int) -> any DeviceBuffer {
    lock.withLock { state -> VulkanBuffer in
      if let buffer = state.free[bytes]?.popLast() {
        state.pooledBytes -= bytes
        return buffer
      }
      var handle: OpaquePointer?
      var status = wbvk_buffer_create(context, UInt64(max(bytes, 4)), &handle)
      if status == WBVK_OUT_OF_DEVICE_MEMORY && state.pooledBytes > 0 {
        for buffers in state.free.values { for buffer in buffers { wbvk_buffer_destroy(context, buffer.handle) } }
        state.free = [:]
        state.pooledBytes = 0
        status = wbvk_buffer_create(context, UInt64(max(bytes, 4)), &handle)
      }
      if status != WBVK_OK || handle == nil {
        record(VulkanError.last(status), in: &state)
        // A stand-in so the caller can go on until `synchronize()` reports the failure (nothing
        // is recorded once a failure is kept, so it is never bound).
        return VulkanBuffer(handle: placeholder, byteCount: 0)
      }
      return VulkanBuffer(handle: handle!, byteCount: bytes)
    }
  }

  public func recycle(_ buffer: any DeviceBuffer) {
    let buffer = unsafeDowncast(buffer, to: VulkanBuffer.self)
    lock.withLock { state in
      guard buffer.handle != placeholder else { return }
      // Safe to reuse at once: every command waits for the ones recorded before it.
      if state.pooledBytes + buffer.byteCount <= Self.poolLimit {
        state.free[buffer.byteCount, default: []].append(buffer)
        state.pooledBytes += buffer.byteCount
      } else {
        wbvk_buffer_destroy(context, buffer.handle)
      }
    }
  }

  public func write(_ bytes: UnsafeRawBufferPointer, to view: BufferView, elementSize: Int) {
    let buffer = unsafeDowncast(view.buffer, to: VulkanBuffer.self)
    let count = min(bytes.count, view.count * elementSize)
    guard count > 0 else { return }
    lock.withLock { state in
      guard state.failure == nil else { return }
      let status = wbvk_write(
        context, buffer.handle, UInt64(view.offset * elementSize), bytes.baseAddress, UInt64(count))
      if status != WBVK_OK { record(VulkanError.last(status), in: &state) }
    }
  }

  public func read(_ view: BufferView, elementSize: Int, into bytes: UnsafeMutableRawBufferPointer) {
    let buffer = unsafeDowncast(view.buffer, to: VulkanBuffer.self)
    let count = min(bytes.count, view.count * elementSize)
    guard count > 0 else { return }
    lock.withLock { state in
      var status = WBVK_OK
      if state.failure == nil {
        status = wbvk_read(context, buffer.handle, UInt64(view.offset * elementSize), bytes.baseAddress, UInt64(count))
        if status != WBVK_OK { record(VulkanError.last(status), in: &state) }
      }
      if state.failure != nil {
        // Values that cannot be mistaken for results; `synchronize()` says what happened.
        let floats = bytes.bindMemory(to: Float.self)
        for i in floats.indices { floats[i] = .nan }
      }
    }
  }

  public var hasFailed: Bool { lock.withLock { $0.failure != nil } }

  public func synchronize() throws {
    try lock.withLock { state in
      if state.failure == nil {
        let status = wbvk_finish(context)
        if status != WBVK_OK { record(VulkanError.last(status), in: &state) }
      }
      if let failure = state.failure {
        // Everything since the failure was skipped; the caller abandons that work. A lost device
        // stays lost, but after running out of memory the backend can be used again.
        if failure.code != .deviceLost { state.failure = nil }
        throw failure
      }
    }
  }

  private func record(_ error: VulkanError, in state: inout State) {
    if state.failure == nil { state.failure = error }
  }

  // MARK: profiling

  /// Device time per kernel (from timestamp queries) since the last reset, slowest first; empty
  /// unless `WORKBENCH_PROFILE=1` or `setProfiling(true)`.
  public func profile() -> [(name: String, calls: Int, milliseconds: Double)] {
    let entries = lock.withLock { _ -> [wbvk_profile_entry] in
      _ = wbvk_finish(context)
      var entries = [wbvk_profile_entry](repeating: wbvk_profile_entry(), count: 128)
      let n = Int(wbvk_profile(context, &entries, Int32(entries.count)))
      return Array(entries[0..<n])
    }
    let rows: [(name: String, calls: Int, milliseconds: Double)] = entries.map {
      (name: String(cString: $0.label), calls: Int($0.count), milliseconds: $0.milliseconds)
    }
    return rows.sorted { $0.milliseconds > $1.milliseconds }
  }

  public func setProfiling(_ on: Bool) { lock.withLock { _ in wbvk_set_profiling(context, on ? 1 : 0) } }
  public func resetProfile() { lock.withLock { _ in wbvk_profile_reset(context) } }
  public var timestampsAvailable: Bool { device.timestamps }

  // MARK: shaders

  /// The compute shaders built into the binary (files of `shaders/` without `.comp`).
  public static var shaderNames: [String] {
    var names: [String] = []
    var cursor = wbvk_shader_names()!
    while let name = cursor.pointee {
      names.append(String(cString: name))
      cursor += 1
    }
    return names
  }

  /// Compiles a built-in shader (or include file, by file name) and, for shaders, builds its
  /// pipeline with default specialization constants.
  /// - Throws: `VulkanError` with glslang's or the driver's message.
  public func buildShader(_ name: String) throws {
    try lock.withLock { _ in
      if name.contains(".") { return }
      var id: Int32 = -1
      let status = wbvk_pipeline(context, name, nil, 0, &id)
      if status != WBVK_OK { throw VulkanError.last(status) }
    }
  }

  // MARK: dispatch

  /// The pipeline of `shader` with these specialization constants, created on first use.
  private func pipeline(_ shader: String, _ constants: [UInt32], in state: inout State) -> Int32? {
    let key = shader + constants.map { ":\($0)" }.joined()
    if let id = state.pipelines[key] { return id }
    var id: Int32 = -1
    let status = wbvk_pipeline(context, shader, constants, Int32(constants.count), &id)
    guard status == WBVK_OK else {
      record(VulkanError.last(status), in: &state)
      return nil
    }
    state.pipelines[key] = id
    return id
  }

  /// Records one dispatch of `shader` over `views` (bound in order) with `parameters` after the
  /// views' offsets in the push constants: the shader's `wb_*_params` struct (wb_push.h), whose
  /// field list the shader's block includes.
  private func dispatch<Parameters: BitwiseCopyable>(
    _ shader: String, label: String, constants: [UInt32], views: [BufferView], parameters: Parameters,
    groups: (Int, Int, Int)
  ) {
    lock.withLock { state in
      guard state.failure == nil, let id = pipeline(shader, constants, in: &state) else { return }
      let bindings = views.map { view in
        wbvk_binding(
          buffer: unsafeDowncast(view.buffer, to: VulkanBuffer.self).handle, offset: UInt64(view.offset * 4),
          bytes: UInt64(view.count * 4))
      }
      let status = bindings.withUnsafeBufferPointer { b in
        withUnsafeBytes(of: parameters) { p in
          wbvk_dispatch(
            context, id, label, b.baseAddress, Int32(b.count), p.baseAddress, UInt32(p.count), UInt32(groups.0),
            UInt32(groups.1), UInt32(groups.2))
        }
      }
      if status != WBVK_OK { record(VulkanError.last(status), in: &state) }
    }
  }

  /// Threads per workgroup of the one-workgroup-per-row shaders: the row's length rounded up to a
  /// power of two, between 32 and the elementwise block, so short rows do not idle most threads.
  private func rowBlock(_ columns: Int) -> UInt32 {
    var block = 32
    while block < columns && block < elementwiseBlock { block *= 2 }
    return UInt32(min(block, elementwiseBlock))
  }

  /// Workgroups for `n` items at `block` per workgroup, for shaders that stride over the rest.
  private func strideGroups(_ n: Int, _ block: Int) -> Int { max(1, min((n + block - 1) / block, 65535)) }

  /// Elements per dispatch of elementwise shaders: a binding never exceeds the storage range.
  private var chunkElements: Int { Int(min(device.maxStorageRange, 1 << 31)) / 4 - 1024 }

  /// An elementwise shader over `out`, in chunks no binding of which exceeds the storage range;
  /// `scalar` (the clip's Σg²) is bound whole to every chunk.
  private func elementwise(
    _ label: String, out: BufferView, x: BufferView? = nil, dy: BufferView? = nil, y: BufferView? = nil,
    scalar: BufferView? = nil, op: UInt32, a: Float = 0, b: Float = 0
  ) {
    let chunk = chunkElements
    for start in stride(from: 0, to: out.count, by: chunk) {
      let n = min(chunk, out.count - start)
      let part = out.subview(start, count: n)
      func slice(_ v: BufferView?) -> BufferView { v?.subview(start, count: n) ?? part }
      dispatch(
        "elementwise", label: label, constants: [UInt32(elementwiseBlock)],
        views: [part, scalar ?? slice(x), slice(dy), slice(y)],
        parameters: wb_elementwise_params(n: UInt32(n), op: op, a: a, b: b),
        groups: (strideGroups(n, elementwiseBlock), 1, 1))
    }
  }

  public func execute(_ kernel: Kernel) {
    let block = UInt32(elementwiseBlock)
    let label = kernel.name
    switch kernel {
    case .fill(let y, let value):
      elementwise(label, out: y, op: UInt32(WB_ELEMENTWISE_FILL), a: value)
    case .affine(let out, let x, let scale, let shift):
      elementwise(label, out: out, x: x, op: UInt32(WB_ELEMENTWISE_AFFINE), a: scale, b: shift)
    case .axpy(let y, let x, let alpha):
      elementwise(label, out: y, x: x, op: UInt32(WB_ELEMENTWISE_AXPY), a: alpha)
    case .unary(let op, let out, let x):
      elementwise(label, out: out, x: x, op: UInt32(WB_ELEMENTWISE_UNARY + op.code))
    case .unaryBackward(let op, let dx, let dy, let x, let y):
      elementwise(label, out: dx, x: x, dy: dy, y: y, op: UInt32(WB_ELEMENTWISE_UNARY_BACKWARD + op.code))
    case .clipByNorm(let g, let sumSquares, let maxNorm):
      elementwise(label, out: g, scalar: sumSquares, op: UInt32(WB_ELEMENTWISE_CLIP_BY_NORM), a: maxNorm)
    case .binary(let op, let out, let a, let b, let shape, let strideA, let strideB):
      guard let (dims, strides) = collapse(shape, [Tensor.strides(of: shape), strideA, strideB], maxRank: 6) else {
        return fail("binary op over \(shape.count) dimensions that do not merge to 6")
      }
      var parameters = wb_binary_params()
      parameters.n = UInt32(out.count)
      parameters.op = UInt32(op.code)
      parameters.rank = UInt32(dims.count)
      fill(&parameters.shape, dims)
      fill(&parameters.stride_a, strides[1])
      fill(&parameters.stride_b, strides[2])
      dispatch(
        "binary", label: label, constants: [block], views: [out, a, b], parameters: parameters,
        groups: (strideGroups(out.count, elementwiseBlock), 1, 1))
    case .stridedCopy(let out, let x, let shape, let strideX):
      strided(label, dense: out, strided: x, shape: shape, stride: strideX, accumulate: false)
    case .stridedAdd(let x, let y, let shape, let strideX):
      strided(label, dense: y, strided: x, shape: shape, stride: strideX, accumulate: true)
    case .sumAxis(let out, let x, let outer, let axis, let inner, let scale):
      dispatch(
        "sum_axis", label: label, constants: [block], views: [out, x],
        parameters: wb_sum_axis_params(outer: UInt32(outer), axis: UInt32(axis), inner: UInt32(inner), scale: scale),
        groups: (strideGroups(outer * inner, elementwiseBlock), 1, 1))
    case .sumSquares(let out, let x):
      sumSquares(label, out: out, x: x)
    case .matmul(var d):
      if let bias = d.bias {
        // The bias rows first, then the product added onto them.
        precondition(d.beta == 0, "a matmul bias needs beta 0")
        strided(label, dense: d.c, strided: bias, shape: [d.batch * d.m, d.n], stride: [0, 1], accumulate: false)
        d.beta = 1
      }
      let t = matmulTiles
      dispatch(
        "matmul", label: label, constants: t.constants, views: [d.c, d.a, d.b],
        parameters: wb_matmul_params(
          M: UInt32(d.m), N: UInt32(d.n), K: UInt32(d.k), trans_a: d.transposeA ? 1 : 0, trans_b: d.transposeB ? 1 : 0,
          stride_a: UInt32(d.strideA), stride_b: UInt32(d.strideB), stride_c: UInt32(d.strideC), alpha: d.alpha,
          beta: d.beta),
        groups: ((d.n + t.bn - 1) / t.bn, (d.m + t.bm - 1) / t.bm, d.batch))
    case .layerNormForward(let y, let mean, let rstd, let x, let w, let b, let rows, let columns, let eps):
      dispatch(
        "layernorm_forward", label: label, constants: [rowBlock(columns)], views: [y, mean, rstd, x, w, b],
        parameters: wb_layernorm_params(rows: UInt32(rows), C: UInt32(columns), eps: eps),
        groups: (min(rows, 65535), 1, 1))
    case .layerNormBackward(let dx, let dw, let db, let dy, let x, let w, let mean, let rstd, let rows, let columns):
      dispatch(
        "layernorm_backward", label: label, constants: [rowBlock(columns)], views: [dx, dy, x, w, mean, rstd],
        parameters: wb_rows_params(rows: UInt32(rows), C: UInt32(columns)), groups: (min(rows, 65535), 1, 1))
      dispatch(
        "layernorm_backward_parameters", label: label, constants: [block], views: [dw, db, dy, x, mean, rstd],
        parameters: wb_rows_params(rows: UInt32(rows), C: UInt32(columns)),
        groups: (strideGroups(columns, elementwiseBlock), 1, 1))
    case .attentionForward(let out, let lse, let qkv, let batch, let time, let channels, let heads):
      guard let constants = attentionConstants(channels / heads, sharedRows: 2, extra: 0) else { return }
      dispatch(
        "attention_forward", label: label, constants: constants, views: [out, lse, qkv],
        parameters: wb_attention_params(
          B: UInt32(batch), T: UInt32(time), C: UInt32(channels), H: UInt32(heads),
          scale: attentionScale(channels / heads)),
        groups: ((time + attentionBlock - 1) / attentionBlock, batch * heads, 1))
    case .attentionBackward(let dqkv, let dOut, let qkv, let out, let lse, let batch, let time, let channels, let heads):
      attentionBackward(
        label, dqkv: dqkv, dOut: dOut, qkv: qkv, out: out, lse: lse, batch: batch, time: time, channels: channels,
        heads: heads)
    case .attentionDecode(let out, let cache, let batch, let position, let capacity, let channels, let heads):
      guard let constants = attentionConstants(channels / heads, sharedRows: 0, extra: 0) else { return }
      dispatch(
        "attention_decode", label: label, constants: constants, views: [out, cache],
        parameters: wb_attention_decode_params(
          B: UInt32(batch), position: UInt32(position), capacity: UInt32(capacity), C: UInt32(channels),
          H: UInt32(heads), scale: attentionScale(channels / heads)),
        groups: ((batch * heads + attentionBlock - 1) / attentionBlock, 1, 1))
    case .crossEntropyForward(let losses, let logits, let targets, let rows, let vocabulary):
      dispatch(
        "cross_entropy_forward", label: label, constants: [rowBlock(vocabulary)], views: [losses, logits, targets],
        parameters: wb_cross_entropy_params(rows: UInt32(rows), V: UInt32(vocabulary)),
        groups: (min(rows, 65535), 1, 1))
    case .crossEntropyBackward(let dLogits, let logits, let targets, let dLoss, let rows, let vocabulary, let scale):
      dispatch(
        "cross_entropy_backward", label: label, constants: [rowBlock(vocabulary)],
        views: [dLogits, logits, targets, dLoss],
        parameters: wb_cross_entropy_backward_params(rows: UInt32(rows), V: UInt32(vocabulary), scale: scale),
        groups: (min(rows, 65535), 1, 1))
    case .embeddingForward(let out, let table, let ids, let rows, let columns):
      dispatch(
        "embedding_forward", label: label, constants: [block], views: [out, table, ids],
        parameters: wb_rows_params(rows: UInt32(rows), C: UInt32(columns)),
        groups: (strideGroups(rows * columns, elementwiseBlock), 1, 1))
    case .embeddingBackward(let dTable, let dOut, let ids, let rows, let columns):
      let threads = min(64, elementwiseBlock)
      dispatch(
        "embedding_backward", label: label, constants: [UInt32(threads)], views: [dTable, dOut, ids],
        parameters: wb_rows_params(rows: UInt32(rows), C: UInt32(columns)),
        groups: (strideGroups(columns, threads), 1, 1))
    case .adamW(let p, let g, let m, let v, let lr, let beta1, let beta2, let eps, let weightDecay, let step):
      let bias1 = 1 - pow(Double(beta1), Double(step))
      let bias2 = 1 - pow(Double(beta2), Double(step))
      let chunk = chunkElements
      for start in stride(from: 0, to: p.count, by: chunk) {
        let n = min(chunk, p.count - start)
        dispatch(
          "adamw", label: label, constants: [block],
          views: [p, g, m, v].map { $0.subview(start, count: n) },
          parameters: wb_adamw_params(
            n: UInt32(n), keep: 1 - lr * weightDecay, beta1: beta1, beta2: beta2, eps: eps,
            step_size: Float(Double(lr) / bias1), bias2_sqrt: Float(bias2.squareRoot())),
          groups: (strideGroups(n, elementwiseBlock), 1, 1))
      }
    }
  }

  private func fail(_ message: String) {
    lock.withLock { record(VulkanError(.invalidArgument, "Vulkan backend: \(message)"), in: &$0) }
  }

  /// Writes `values` into the start of a fixed-size array field of a params struct (a C array,
  /// a tuple in Swift); the rest stays 0.
  private func fill<Tuple>(_ field: inout Tuple, _ values: [Int]) {
    withUnsafeMutableBytes(of: &field) { bytes in
      let slots = bytes.bindMemory(to: UInt32.self)
      precondition(values.count <= slots.count, "\(values.count) dimensions for \(slots.count) slots")
      for (i, value) in values.enumerated() { slots[i] = UInt32(truncatingIfNeeded: value) }
    }
  }

  private func attentionScale(_ headSize: Int) -> Float { 1 / Float(headSize).squareRoot() }

  /// BLOCK, HS and BC for the attention shaders: the largest key tile whose shared memory
  /// (`sharedRows` tiles of BC×HS plus `extra`·BC floats) fits the device.
  private func attentionConstants(_ headSize: Int, sharedRows: Int, extra: Int) -> [UInt32]? {
    for tile in [64, 32, 16, 8] where 4 * (sharedRows * tile * headSize + extra * tile) <= device.maxSharedMemory {
      return [UInt32(attentionBlock), UInt32(headSize), UInt32(tile)]
    }
    fail("attention heads of size \(headSize) do not fit the device's \(device.maxSharedMemory) bytes of shared memory")
    return nil
  }

  private func attentionBackward(
    _ label: String, dqkv: BufferView, dOut: BufferView, qkv: BufferView, out: BufferView, lse: BufferView,
    batch: Int, time: Int, channels: Int, heads: Int
  ) {
    let headSize = channels / heads
    guard let dq = attentionConstants(headSize, sharedRows: 2, extra: 0),
      let dkdv = attentionConstants(headSize, sharedRows: 2, extra: 2)
    else { return }
    let rows = batch * heads * time
    let scratch = allocate(bytes: rows * 4)
    defer { recycle(scratch) }
    let d = BufferView(buffer: scratch, offset: 0, count: rows)
    let groups = ((time + attentionBlock - 1) / attentionBlock, batch * heads, 1)
    dispatch(
      "attention_backward_prepass", label: label, constants: dq, views: [d, dOut, out],
      parameters: wb_attention_prepass_params(B: UInt32(batch), T: UInt32(time), C: UInt32(channels), H: UInt32(heads)),
      groups: groups)
    let views = [dqkv, dOut, qkv, lse, d]
    let parameters = wb_attention_params(
      B: UInt32(batch), T: UInt32(time), C: UInt32(channels), H: UInt32(heads), scale: attentionScale(headSize))
    dispatch("attention_backward_dq", label: label, constants: dq, views: views, parameters: parameters, groups: groups)
    dispatch(
      "attention_backward_dkdv", label: label, constants: dkdv, views: views, parameters: parameters, groups: groups)
  }

  private func strided(
    _ label: String, dense: BufferView, strided: BufferView, shape: [Int], stride: [Int], accumulate: Bool
  ) {
    guard let (dims, strides) = collapse(shape, [Tensor.strides(of: shape), stride], maxRank: 8) else {
      return fail("strided copy over \(shape.count) dimensions that do not merge to 8")
    }
    let n = shape.reduce(1, *)
    var parameters = wb_strided_params()
    parameters.n = UInt32(n)
    parameters.accumulate = accumulate ? 1 : 0
    parameters.rank = UInt32(dims.count)
    fill(&parameters.shape, dims)
    fill(&parameters.stride, strides[1])
    dispatch(
      "strided", label: label, constants: [UInt32(elementwiseBlock)], views: [dense, strided], parameters: parameters,
      groups: (strideGroups(n, elementwiseBlock), 1, 1))
  }

  private func sumSquares(_ label: String, out: BufferView, x: BufferView) {
    let block = elementwiseBlock
    let chunk = chunkElements
    let partials = 256
    let scratch = allocate(bytes: partials * 4)
    defer { recycle(scratch) }
    let partial = BufferView(buffer: scratch, offset: 0, count: partials)
    for (index, start) in stride(from: 0, to: max(x.count, 1), by: chunk).enumerated() {
      let n = min(chunk, x.count - start)
      let groups = max(1, min(partials, (n + block - 1) / block))
      dispatch(
        "sum_squares", label: label, constants: [UInt32(block)], views: [partial, x.subview(start, count: n)],
        parameters: wb_sum_squares_params(n: UInt32(n), square: 1, accumulate: 0), groups: (groups, 1, 1))
      dispatch(
        "sum_squares", label: label, constants: [UInt32(block)], views: [out, partial.subview(0, count: groups)],
        parameters: wb_sum_squares_params(n: UInt32(groups), square: 0, accumulate: index > 0 ? 1 : 0),
        groups: (1, 1, 1))
    }
  }
}

/// Drops dimensions of size 1 and merges neighbours that every operand walks contiguously, so
/// that most shapes fit a shader's fixed rank. Returns nil when more than `maxRank` remain.
func collapse(_ shape: [Int], _ strides: [[Int]], maxRank: Int) -> ([Int], [[Int]])? {
  var dims: [Int] = []
  var merged: [[Int]] = strides.map { _ in [] }
  for axis in shape.indices where shape[axis] != 1 {
    if let last = dims.indices.last,
      strides.indices.allSatisfy({ merged[$0][last] == strides[$0][axis] * shape[axis] })
    {
      dims[last] *= shape[axis]
      for o in strides.indices { merged[o][last] = strides[o][axis] }
    } else {
      dims.append(shape[axis])
      for o in strides.indices { merged[o].append(strides[o][axis]) }
    }
  }
  if dims.isEmpty {
    dims = [1]
    merged = strides.map { _ in [0] }
  }
  return dims.count <= maxRank ? (dims, merged) : nil
}
