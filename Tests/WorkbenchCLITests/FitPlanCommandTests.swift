import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchTestSupport

@Suite(.serialized) struct FitPlanCommandTests {
  let folder = TemporaryDirectory()

  @Test func planWithTheBuiltInKaplanLawNeedsNoExperiment() throws {
    let result = try WorkbenchProcess.run(["plan", "--law", "kaplan2020", "--scale", "100x"], in: folder.url)
    #expect(result.status == 0, "\(result.stderr)")
    let row = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("kaplan2020") })
    let cells = row.split(separator: " ", omittingEmptySubsequences: true)
    #expect(cells[1] == "28.8")
    #expect(cells[2] == "3.47")
    let json = try WorkbenchProcess.run(["plan", "--compute", "5.76e23", "--json"], in: folder.url)
    let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
    let epoch = try #require(objects.first { $0["law"] as? String == "epoch2024" })
    #expect(abs((epoch["n_opt"] as! Double) / 72.3e9 - 1) < 0.01)
  }

  @Test func fitStoresAnExperimentsFitLinkedToItsRuns() throws {
    folder.write("exp.yaml", slowSweep(sizes: ["1e7", "3e7", "1e8", "3e8", "1e9"], stepMilliseconds: 0))
    #expect(try WorkbenchProcess.run(["run", "exp.yaml"], in: folder.url).status == 0)
    let result = try WorkbenchProcess.run(["fit", "exp", "--form", "n+e", "--bootstrap", "50"], in: folder.url)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stdout.contains("L(N) = E + A/N^alpha fitted to 5 points"))
    let fits = try sqlite3(
      folder.path("workbench.sqlite"),
      "SELECT f.point_count, count(fr.run_id) FROM fit f JOIN fit_run fr ON fr.fit_id = f.id WHERE f.options LIKE '%bootstrap%' GROUP BY f.id",
      readOnly: true)
    #expect(fits.stdout == "5|5\n")
  }

  @Test(.enabled(if: SharedReference.available, "../shared/reference is absent"))
  func fitReadsExternalCSV() throws {
    let path = SharedReference.root.appendingPathComponent("misfitting/scaling_results_last_ckpt_only.csv").path
    let result = try WorkbenchProcess.run(
      ["fit", "--csv", path, "--columns", "N,D,loss", "--form", "chinchilla", "--bootstrap", "0", "--json"],
      in: folder.url)
    #expect(result.status == 0, "\(result.stderr)")
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let parameters = try #require(object["parameters"] as? [String: Double])
    #expect(abs(parameters["beta"]! - 0.6357) < 1e-3)
    let missing = try WorkbenchProcess.run(
      ["fit", "--csv", path, "--columns", "N,tokens,loss", "--form", "chinchilla"], in: folder.url)
    #expect(missing.status != 0)
    #expect(missing.stderr.contains("has no column 'tokens'"))
  }
}
