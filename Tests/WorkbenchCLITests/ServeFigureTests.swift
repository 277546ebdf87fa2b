import Foundation
import Testing
import WorkbenchRunLog

@testable import WorkbenchServe

/// The server's thinning of curves and its drawings of each stored fit form.
struct ServeFigureTests {
  func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

  func run(_ id: Int64, N: Int64? = nil, D: Int64? = nil, C: Double? = nil, loss: Double? = nil, config: String = "{}")
    -> RunRecord
  {
    var run = RunRecord(
      key: String(format: "%016llx", id), experimentID: 1, sweepID: nil, label: "", plugin: "p", pluginVersion: "1",
      seed: 0, config: config)
    run.id = id
    run.status = .finished
    run.N = N
    run.D = D
    run.C = C
    run.finalValLoss = loss
    return run
  }

  @Test func thinningKeepsEndpointsExtremesAndOrder() {
    let points: [CurvePoint] = (1...10_000).map { (step: Int) -> CurvePoint in
      let value: Double = step == 7_777 ? -5 : step == 4_321 ? 50 : 3 + sin(Double(step))
      return CurvePoint(step: Int64(step), value: value)
    }
    let thin = Downsample.curve(points, buckets: 50)
    #expect(thin.count <= 102)
    #expect(thin.first == points.first && thin.last == points.last)
    #expect(thin.contains { $0.value == -5 } && thin.contains { $0.value == 50 })
    let steps = thin.map { (point: CurvePoint) in point.step }
    #expect(steps == steps.sorted())
    #expect(Set(steps).count == thin.count)
    let short = Array(points.prefix(90))
    #expect(Downsample.curve(short, buckets: 50) == short)
  }

  @Test func chinchillaFitIsDrawnAsIsoFLOPProfiles() throws {
    let parameters = "{\"A\":406.4,\"B\":410.7,\"E\":1.69,\"alpha\":0.34,\"beta\":0.28}"
    let fit = FitRecord(
      experimentID: 1, form: "L(N,D) = E + A/N^alpha + B/D^beta", parameters: parameters, intervals: nil,
      options: "{\"law\":\"Chinchilla\"}", pointCount: 6, objective: 0, r2: 0.99)
    var runs: [RunRecord] = []
    for (index, C) in [1e15, 1e15, 1e15, 1e16, 1e16, 1e16].enumerated() {
      let N = [1e5, 3e5, 1e6][index % 3]
      runs.append(run(Int64(index + 1), N: Int64(N), D: Int64(C / (6 * N)), C: C, loss: 3))
    }
    let svg = try #require(Figures.fit(fit, runs: runs, curves: [:], flatConfig: { _ in [:] }))
    #expect(svg.contains("IsoFLOP profiles"))
    #expect(count("<polyline class=\"fit\"", in: svg) == 2)
    #expect(count("<circle class=\"data\"", in: svg) == 6)
  }

  /// The figure of a fit of `metric` against log2 of the number of instructions (or tasks), made
  /// from three runs at `counts` that scored `values`.
  func logFitFigure(_ fit: FitRecord, counts: [Int], metric: String, values: [Double]) throws -> String {
    let runs = counts.enumerated().map { index, I in run(Int64(index + 1), config: "{\"instructions\":\(I)}") }
    var curves: [Int64: [String: [CurvePoint]]] = [:]
    for (index, value) in values.enumerated() {
      curves[Int64(index + 1)] = [metric: [CurvePoint(step: 0, value: value)]]
    }
    let flat = { (run: RunRecord) -> [String: JSONValue] in
      guard case .object(let object) = JSONFragment(run.config).value else { return [:] }
      return object
    }
    return try #require(Figures.fit(fit, runs: runs, curves: curves, flatConfig: flat))
  }

  @Test func instructionFitIsDrawnAgainstInstructionsWithItsSlopeInterval() throws {
    let fit = FitRecord(
      experimentID: 1, form: "exact_match = a + b·log2(I)", parameters: "{\"a\":10,\"b\":5}",
      intervals: "{\"b\":[3,7]}", options: "{\"model\":\"L2 d96\",\"tier\":\"unseen-binding\"}", pointCount: 3,
      objective: 0, r2: 0.9)
    let svg = try logFitFigure(
      fit, counts: [4, 16, 64], metric: "score.unseen-binding.exact_match", values: [20, 30, 40])
    #expect(svg.contains("L2 d96 unseen-binding"))
    #expect(count("<circle class=\"data\"", in: svg) == 3)
    #expect(count("<polyline class=\"fit\"", in: svg) == 1)
    #expect(count("<polygon class=\"band\"", in: svg) == 1)
    #expect(count("class=\"fit extrapolation\"", in: svg) == 1)
  }

  @Test func sniFitIsDrawnAgainstTrainingTasks() throws {
    let fit = FitRecord(
      experimentID: 1, form: "rougeL = a + b·log2(K)", parameters: "{\"a\":10,\"b\":2}", intervals: "{\"b\":[1,3]}",
      options: "{\"model\":\"L2 d64\",\"tasks\":\"sni\"}", pointCount: 3, objective: 0, r2: 0.9)
    let svg = try logFitFigure(fit, counts: [8, 32, 128], metric: "sni.rougeL", values: [16, 20, 24])
    #expect(svg.contains("L2 d64 unseen test tasks") && svg.contains("training tasks K"))
    #expect(count("<circle class=\"data\"", in: svg) == 3)
    #expect(count("<polyline class=\"fit\"", in: svg) == 1)
  }

  @Test func unknownFormsAreNotDrawn() {
    let fit = FitRecord(
      experimentID: 1, form: "L(N,S) = (N_c/N)^alpha_N + (S_c/S)^alpha_S", parameters: "{}", intervals: nil,
      options: nil, pointCount: 0, objective: 0, r2: nil)
    #expect(Figures.fit(fit, runs: [run(1, N: 10, loss: 2)], curves: [:], flatConfig: { _ in [:] }) == nil)
  }

  @Test func promptVariantScoresAreStrips() {
    let runs = [run(1), run(2)]
    let curves: [Int64: [String: [CurvePoint]]] = [
      1: ["rte.score": (0..<6).map { CurvePoint(step: Int64($0), value: Double(50 + $0)) }],
      2: [
        "rte.score": (0..<6).map { CurvePoint(step: Int64($0), value: Double(60 - $0)) },
        "rte.skipped": [CurvePoint(step: 0, value: 0)],
      ],
    ]
    let strips = Figures.spreads(runs: runs, curves: curves)
    #expect(strips.count == 1)
    #expect(count("<circle class=\"data\"", in: strips[0]) == 12)
    #expect(count("<polyline class=\"range\"", in: strips[0]) == 2)
  }
}
