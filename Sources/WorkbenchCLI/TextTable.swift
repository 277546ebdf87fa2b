import Foundation

/// A plain-text table with aligned columns; numbers are right-aligned.
struct TextTable {
  var headers: [String]
  var rows: [[String]] = []

  init(_ headers: [String]) { self.headers = headers }

  mutating func append(_ row: [String]) { rows.append(row) }

  func render() -> String {
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
  func trimmingTrailingSpaces() -> String {
    var copy = self
    while copy.last == " " { copy.removeLast() }
    return copy
  }

  /// The value as one CSV field (quoted when it holds a comma, quote or line break).
  var csvField: String {
    guard contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return self }
    return "\"" + replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}

/// Formats numbers for tables: integers with no decimals, others with 4 significant digits.
func format(_ value: Double?) -> String {
  guard let value else { return "-" }
  if value == value.rounded() && abs(value) < 1e6 { return String(Int64(value)) }
  return String(format: "%.4g", value)
}

func format(_ value: Int64?) -> String { value.map { String($0) } ?? "-" }
