import Foundation

extension String {
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
