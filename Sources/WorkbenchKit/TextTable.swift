import Foundation

/// A plain-text table with aligned columns; numbers are right-aligned.
public struct TextTable: Sendable {
  public var headers: [String]
  public var rows: [[String]] = []

  public init(_ headers: [String]) { self.headers = headers }

  public mutating func append(_ row: [String]) { rows.append(row) }

  public func render() -> String {
    var widths = headers.map(\.count)
    for row in rows {
      for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
    }
    let numeric = headers.indices.map { column in
      !rows.isEmpty
        && rows.allSatisfy { row in
          let cell = row[column]
          return cell.isEmpty || cell == "-" || Double(cell.replacingOccurrences(of: ",", with: "")) != nil
        }
    }
    func line(_ cells: [String]) -> String {
      cells.enumerated().map { i, cell in
        let pad = String(repeating: " ", count: widths[i] - cell.count)
        return numeric[i] ? pad + cell : cell + pad
      }.joined(separator: "  ").trimmingTrailingSpaces()
    }
    return ([line(headers)] + rows.map(line)).joined(separator: "\n")
  }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var copy = self
    while copy.last == " " { copy.removeLast() }
    return copy
  }
}
