import EndToEndTestSupport
import Foundation
import Testing
import WorkbenchRunLog
import WorkbenchTestSupport

/// Four tiny models on the built-in Markov text: a scaling sweep small enough for debug builds.
private let sweep = """
  plugin: scaling-sweep
  name: sweep
  seed: 0
  model:
    - {n_layer: 1, d_model: 8, n_head: 2, ctx: 16}
    - {n_layer: 1, d_model: 16, n_head: 2, ctx: 16}
    - {n_layer: 2, d_model: 16, n_head: 2, ctx: 16}
    - {n_layer: 2, d_model: 32, n_head: 2, ctx: 16}
    - {n_layer: 2, d_model: 48, n_head: 2, ctx: 16}
  data:
    synthetic: {alphabet: 12, concentration: 0.4, bytes: 60000}
  training: {batch: 8, steps: 400, lr: 3e-3, warmup_steps: 10}
  evaluation: {every: 40, windows: 8}
  analysis: {warmup_steps: 80, holdout: 1, bootstrap: 20}
  """

@Suite(.serialized) struct ScalingSweepTests {
  let folder = TemporaryDirectory()

  @Test func fitsTheLawsStoresThemAndWritesTheReport() throws {
    folder.write("sweep.yaml", sweep)
    let result = try WorkbenchProcess.run(["run", "sweep.yaml"], in: folder.url)
    #expect(result.status == 0, "\(result.stderr)")
    for line in [
      "alpha_N =", "alpha_D =", "alpha_C =", "approach 1", "approach 3", "extrapolation:", "with 100x more compute",
    ] {
      #expect(result.stdout.contains(line), "missing '\(line)' in \(result.stdout)")
    }
    let forms = try sqlite3(
      folder.path("workbench.sqlite"), "SELECT count(*), count(DISTINCT form) FROM fit", readOnly: true)
    #expect(forms.stdout == "4|4\n")
    let html = try String(contentsOf: folder.url.appendingPathComponent("runs/sweep/report.html"), encoding: .utf8)
    #expect(html.components(separatedBy: "<svg").count - 1 >= 4)
    #expect(html.contains("training compute C (FLOPs) (log scale)"))
    #expect(!html.contains("<script"))
    let report = try WorkbenchProcess.run(["report", "sweep", "-o", "again"], in: folder.url)
    #expect(report.status == 0, "\(report.stderr)")
    #expect(FileManager.default.fileExists(atPath: folder.path("again/report.html")))
    #expect(report.stdout.contains("alpha_N ="))
  }

  @Test func isoFLOPBudgetsDecideTheTokensOfEachSize() throws {
    folder.write(
      "iso.yaml",
      """
      plugin: scaling-sweep
      model: [{n_layer: 1, d_model: 8, n_head: 2, ctx: 16}, {n_layer: 1, d_model: 16, n_head: 2, ctx: 16}]
      budget: {compute: [1e9, 3e9]}
      data: {synthetic: {bytes: 60000}}
      training: {batch: 8}
      """)
    let dry = try WorkbenchProcess.run(["run", "iso.yaml", "--dry-run"], in: folder.url)
    #expect(dry.status == 0, "\(dry.stderr)")
    // N = 12·8² + 13·8 + 2·8 = 888: D = 1e9 / (6·888) ≈ 1.88e5 tokens.
    #expect(dry.stdout.contains("N=888 D=1.88e+05"))
    #expect(dry.stdout.contains("4 runs"))
  }

  @Test func anInterruptedSweepFinishesOnlyWhatIsMissingAndFitsTheSame() throws {
    let straight = TemporaryDirectory()
    straight.write("sweep.yaml", sweep)
    #expect(try WorkbenchProcess.run(["run", "sweep.yaml"], in: straight.url).status == 0)

    folder.write("sweep.yaml", sweep)
    let log = folder.path("workbench.sqlite")
    let process = try WorkbenchProcess.start(["run", "sweep.yaml"], in: folder.url)
    let halfway = eventually(timeout: 120) { ((try? runs(in: log)) ?? []).filter { $0.status == .finished }.count >= 2 }
    #expect(halfway)
    process.send(SIGINT)
    #expect(process.wait().status == 130)
    let rerun = try WorkbenchProcess.run(["run", "sweep.yaml"], in: folder.url)
    #expect(rerun.status == 0, "\(rerun.stderr)")
    let all = try runs(in: log)
    #expect(all.count == 5 && all.allSatisfy { $0.status == .finished })
    #expect(all.filter { $0.attempts == 1 }.count >= 2)
    let query = "SELECT form, parameters FROM fit ORDER BY form"
    let expected = try sqlite3(straight.path("workbench.sqlite"), query, readOnly: true).stdout
    #expect(try sqlite3(log, query, readOnly: true).stdout == expected)
    #expect(!expected.isEmpty)
  }
}
