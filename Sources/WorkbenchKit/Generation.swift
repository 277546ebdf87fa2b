import Foundation
import Synchronization
import WorkbenchErrors
import WorkbenchRunLog
import WorkbenchTensor

/// What `workbench generate` asks of a run's model: the user's text and how to sample.
public struct GenerationRequest: Sendable {
  /// `--prompt`: text for a model to continue.
  public var prompt: String?
  /// `--instruction` and `--input`: for models tuned to follow instructions.
  public var instruction: String?
  public var input: String?
  /// `--encoding`: the prompt layout, as the user spelled it (the plugin that reads it validates it).
  public var encoding: String?
  public var maxTokens: Int
  /// 0 picks the most likely token each time.
  public var temperature: Double
  public var topK: Int?
  public var seed: Int

  public init(
    prompt: String? = nil, instruction: String? = nil, input: String? = nil, encoding: String? = nil,
    maxTokens: Int = 200, temperature: Double = 0, topK: Int? = nil, seed: Int = 0
  ) {
    self.prompt = prompt
    self.instruction = instruction
    self.input = input
    self.encoding = encoding
    self.maxTokens = maxTokens
    self.temperature = temperature
    self.topK = topK
    self.seed = seed
  }
}

/// A run's model as `workbench generate` finds it: the finished run, its files, and the device.
public struct GenerationSource: Sendable {
  let record: RunRecord
  /// The run's artifacts in the order they were recorded (`kind` says which is which).
  let artifacts: [ArtifactRecord]
  private let selected: SelectedBackend

  /// - Parameters:
  ///   - record: the finished run.
  ///   - artifacts: its files, as the log recorded them.
  ///   - backend: selects the device (`--device`); called once, when a model is first built, so
  ///     that a file that cannot be used is reported before the device line.
  public init(record: RunRecord, artifacts: [ArtifactRecord], backend: @escaping @Sendable () throws -> any Backend) {
    self.record = record
    self.artifacts = artifacts
    self.selected = SelectedBackend(backend)
  }

  /// The device to build models on (selected on first use).
  public func backend() throws -> any Backend { try selected.get() }

  /// The file of the latest artifact of `kind`, if the run recorded one.
  public func artifact(_ kind: String) -> URL? {
    artifacts.last { $0.kind == kind }.map { URL(fileURLWithPath: $0.path) }
  }
}

/// `workbench generate` cannot answer: what is missing or wrong, and what to give instead.
public typealias GenerationError = CodedError<GenerationErrorCode>

/// `wrongOptions`: the request does not fit the run (say which options to give); `missingFile`:
/// the run lacks a file its model needs; `mismatch`: the run's files do not fit together;
/// `unreadableConfig`: the run's logged config is not one this build reads.
public enum GenerationErrorCode: String, ErrorCodes { case wrongOptions, missingFile, mismatch, unreadableConfig }

extension AnyExperimentPlugin {
  /// Asks the plugin that made `source`'s run to answer `request`: the lines to print, or nil when
  /// the plugin leaves it to the host (its checkpoint is a byte-level model that continues
  /// `--prompt`).
  public func generate(_ request: GenerationRequest, from source: GenerationSource) throws -> [String]? {
    try generateFromRun(request, source)
  }
}

/// A device selected on first use, then kept.
private final class SelectedBackend: Sendable {
  private let select: @Sendable () throws -> any Backend
  private let chosen = Mutex<(any Backend)?>(nil)

  init(_ select: @escaping @Sendable () throws -> any Backend) { self.select = select }

  func get() throws -> any Backend {
    try chosen.withLock { chosen in
      if let chosen { return chosen }
      let backend = try select()
      chosen = backend
      return backend
    }
  }
}
