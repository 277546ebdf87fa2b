import WorkbenchErrors

/// A problem with a file of scaling data: its message, and the file and line where known.
public struct ScalingDataError: WorkbenchError {
  /// `empty`: no header line; `columns`: the columns asked for are too few or too many for the
  /// form, or absent; `badValue`: a value is not a finite positive number.
  public enum Code: String, ErrorCodes { case empty, columns, badValue }
  public var code: Code
  public var file: String?
  public var line: Int?
  public var message: String

  public init(_ code: Code, file: String? = nil, line: Int? = nil, _ message: String) {
    self.code = code
    self.file = file
    self.line = line
    self.message = message
  }

  /// `file:line: message`, `file: message`, or without a file `line N: message`.
  public var description: String {
    switch (file, line) {
    case (let file?, let line?): "\(file):\(line): \(message)"
    case (let file?, nil): "\(file): \(message)"
    case (nil, let line?): "line \(line): \(message)"
    case (nil, nil): message
    }
  }
}

extension ScalingPoint {
  /// Points from CSV text with a header line: `columns` name the form's variables in order, then
  /// the loss. Every value must be a finite number and every loss positive (the fits take logs).
  /// `file` names the text in errors.
  public static func csv(_ text: String, columns: [String], form: ScalingForm, file: String? = nil) throws
    -> [ScalingPoint]
  {
    let lines = text.split(whereSeparator: \.isNewline).map(String.init)
    guard let headerLine = lines.first else { throw ScalingDataError(.empty, file: file, "it is empty") }
    let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map {
      $0.trimmingCharacters(in: .whitespaces)
    }
    guard columns.count == form.variables.count + 1 else {
      throw ScalingDataError(
        .columns, file: file,
        "--columns needs \(form.variables.count + 1) names for \(form.name): "
          + "\(form.variables.map(\.rawValue).joined(separator: ", ")), then the loss")
    }
    let indices = try columns.map { name -> Int in
      guard let index = header.firstIndex(of: name.trimmingCharacters(in: .whitespaces)) else {
        throw ScalingDataError(
          .columns, file: file, "it has no column '\(name)'; its columns: \(header.joined(separator: ", "))")
      }
      return index
    }
    return try lines.dropFirst().enumerated().map { offset, line in
      let cells = line.split(separator: ",", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      let values = try indices.map { index -> Double in
        guard index < cells.count, let value = Double(cells[index]), value.isFinite else {
          throw ScalingDataError(
            .badValue, file: file, line: offset + 2, "column \(header[index]) is not a finite number")
        }
        return value
      }
      guard values.allSatisfy({ $0 > 0 }) else {
        throw ScalingDataError(
          .badValue, file: file, line: offset + 2, "sizes, tokens, compute and losses must be positive")
      }
      var point = ScalingPoint(loss: values.last!)
      for (variable, value) in zip(form.variables, values) {
        switch variable {
        case .N: point.N = value
        case .D: point.D = value
        case .C: point.C = value
        case .S: point.S = value
        }
      }
      return point
    }
  }
}
