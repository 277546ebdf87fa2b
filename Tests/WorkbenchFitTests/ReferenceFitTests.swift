import Foundation
import Testing
import WorkbenchFit
import WorkbenchTestSupport

/// Reads a CSV file of `../shared/reference/` into rows of named fields.
func referenceCSV(_ path: String) throws -> [[String: String]] {
  let text = String(decoding: try SharedReference.data(path), as: UTF8.self)
  let lines = text.split(whereSeparator: \.isNewline).map(String.init)
  let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map {
    $0.trimmingCharacters(in: .whitespaces)
  }
  return lines.dropFirst().map { line in
    Dictionary(
      uniqueKeysWithValues: zip(header, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
  }
}

@Suite(.enabled(if: SharedReference.available, "../shared/reference is absent: published-fit tests skipped"))
struct ReferenceFitTests {
  @Test func reproducesEpochsChinchillaRefit() throws {
    let rows = try referenceCSV("chinchilla/svg_extracted_data.csv")
    var points = rows.map { row -> ScalingPoint in
      let n = Double(row["Model Size"]!)!
      let c = Double(row["Training FLOP"]!)!
      return ScalingPoint(N: n, D: c / (6 * n), C: c, loss: Double(row["loss"]!)!)
    }
    #expect(points.count == 245)
    let cut = points.map(\.loss).sorted()[points.count - 5]
    points = points.filter { $0.loss < cut }
    #expect(points.count == 240)
    let fit = try ScalingFitter().fit(.chinchilla, to: points)
    let p = fit.named
    #expect(abs(fit.objective - 1.01827e-3) / 1.01827e-3 < 0.01, "objective \(fit.objective)")
    #expect(abs(p["E"]! / 1.8172 - 1) < 0.01, "E \(p["E"]!)")
    #expect(abs(p["alpha"]! / 0.3478 - 1) < 0.01, "alpha \(p["alpha"]!)")
    #expect(abs(p["beta"]! / 0.3658 - 1) < 0.01, "beta \(p["beta"]!)")
    #expect(abs(p["A"]! / 482.01 - 1) < 0.05, "A \(p["A"]!)")
    #expect(abs(p["B"]! / 2085.43 - 1) < 0.05, "B \(p["B"]!)")
  }
}
