import Foundation

/// A small SVG line/marker plot with log or linear axes and labelled ticks.
public struct SVGPlot {
  public struct Series {
    public var label: String
    public var color: String
    public var points: [(Double, Double)]
    public var line = false
    public var markers = false
    public var dashed = false
    /// A shaded band instead of a line: `points` runs along the upper edge and back along the lower.
    public var band = false
    /// The SVG class of the series' elements (`curve`, `fit`, …), for style sheets and tests.
    public var cssClass: String?

    public init(
      label: String, color: String, points: [(Double, Double)], line: Bool = false, markers: Bool = false,
      dashed: Bool = false, band: Bool = false, cssClass: String? = nil
    ) {
      self.label = label
      self.color = color
      self.points = points
      self.line = line
      self.markers = markers
      self.dashed = dashed
      self.band = band
      self.cssClass = cssClass
    }
  }

  public var title: String
  public var xLabel: String
  public var yLabel: String
  public var logX = true
  public var logY = true
  public var series: [Series] = []
  /// The legend lists at most this many series (plots of hundreds of runs colour them by size instead).
  public var legendLimit = 18

  public init(title: String, xLabel: String, yLabel: String, logX: Bool = true, logY: Bool = true) {
    self.title = title
    self.xLabel = xLabel
    self.yLabel = yLabel
    self.logX = logX
    self.logY = logY
  }

  public func render(width: Double = 660, height: Double = 440) -> String {
    func drawable(_ p: (Double, Double)) -> Bool {
      p.0.isFinite && p.1.isFinite && (!logX || p.0 > 0) && (!logY || p.1 > 0)
    }
    // The axes fit the lines and markers; a band (an interval) is clipped to them, so a wide
    // interval cannot squash the data into a corner.
    let framing = series.contains { !$0.band } ? series.filter { !$0.band } : series
    let all = framing.flatMap(\.points).filter(drawable)
    guard !all.isEmpty else { return "" }
    let (left, right, top, bottom) = (70.0, 170.0, 40.0, 55.0)
    func tx(_ v: Double) -> Double { logX ? log10(v) : v }
    func ty(_ v: Double) -> Double { logY ? log10(v) : v }
    var (x0, x1) = (all.map { tx($0.0) }.min()!, all.map { tx($0.0) }.max()!)
    var (y0, y1) = (all.map { ty($0.1) }.min()!, all.map { ty($0.1) }.max()!)
    if x1 - x0 < 1e-9 { (x0, x1) = (x0 - 0.5, x1 + 0.5) }
    if y1 - y0 < 1e-9 { (y0, y1) = (y0 - 0.5, y1 + 0.5) }
    let (padX, padY) = ((x1 - x0) * 0.04, (y1 - y0) * 0.06)
    (x0, x1, y0, y1) = (x0 - padX, x1 + padX, y0 - padY, y1 + padY)
    let plotW = width - left - right
    let plotH = height - top - bottom
    func px(_ v: Double) -> Double { left + (tx(v) - x0) / (x1 - x0) * plotW }
    func py(_ v: Double) -> Double { top + plotH - (ty(v) - y0) / (y1 - y0) * plotH }
    var svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">"
    svg +=
      "<text x=\"\(width / 2 - right / 2)\" y=\"22\" text-anchor=\"middle\" font-size=\"14\">\(title.htmlEscaped)</text>"
    svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotW)\" height=\"\(plotH)\" fill=\"none\" stroke=\"#333\"/>"
    for tick in Self.ticks(x0, x1, log: logX) {
      let x = left + (tick.position - x0) / (x1 - x0) * plotW
      svg += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(top + plotH)\" stroke=\"#eee\"/>"
      svg += "<text x=\"\(x)\" y=\"\(top + plotH + 16)\" text-anchor=\"middle\">\(tick.label)</text>"
    }
    for tick in Self.ticks(y0, y1, log: logY) {
      let y = top + plotH - (tick.position - y0) / (y1 - y0) * plotH
      svg += "<line x1=\"\(left)\" y1=\"\(y)\" x2=\"\(left + plotW)\" y2=\"\(y)\" stroke=\"#eee\"/>"
      svg += "<text x=\"\(left - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(tick.label)</text>"
    }
    svg +=
      "<text x=\"\(left + plotW / 2)\" y=\"\(height - 12)\" text-anchor=\"middle\">\(xLabel.htmlEscaped)\(logX ? " (log scale)" : "")</text>"
    svg +=
      "<text transform=\"translate(16 \(top + plotH / 2)) rotate(-90)\" text-anchor=\"middle\">\(yLabel.htmlEscaped)\(logY ? " (log scale)" : "")</text>"
    for (i, s) in series.enumerated() {
      let points = s.points.filter { $0.0.isFinite && $0.1.isFinite && (!logX || $0.0 > 0) && (!logY || $0.1 > 0) }
      let classAttribute = s.cssClass.map { " class=\"\($0.htmlEscaped)\"" } ?? ""
      if s.band && points.count > 2 {
        let path = points.map {
          Self.fixed(min(max(px($0.0), left), left + plotW)) + "," + Self.fixed(min(max(py($0.1), top), top + plotH))
        }.joined(separator: " ")
        svg +=
          "<polygon\(classAttribute) fill=\"\(s.color)\" fill-opacity=\"0.15\" stroke=\"none\" points=\"\(path)\"/>"
      } else if s.line && points.count > 1 {
        let path = points.map { Self.fixed(px($0.0)) + "," + Self.fixed(py($0.1)) }.joined(separator: " ")
        svg +=
          "<polyline\(classAttribute) fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.6\"\(s.dashed ? " stroke-dasharray=\"6 4\"" : "") points=\"\(path)\"/>"
      }
      if s.markers {
        for p in points {
          svg +=
            "<circle\(classAttribute) cx=\"\(Self.fixed(px(p.0)))\" cy=\"\(Self.fixed(py(p.1)))\" r=\"3\" fill=\"\(s.color)\"/>"
        }
      }
      if i < legendLimit {
        let y = top + 14 + Double(i) * 16
        svg +=
          "<line x1=\"\(left + plotW + 10)\" y1=\"\(y - 4)\" x2=\"\(left + plotW + 28)\" y2=\"\(y - 4)\" stroke=\"\(s.color)\" stroke-width=\"3\"/>"
        svg += "<text x=\"\(left + plotW + 32)\" y=\"\(y)\">\(s.label.htmlEscaped)</text>"
      }
    }
    return svg + "</svg>"
  }

  /// A coordinate with one decimal (`12.3`, `-0.5`), without `String(format:)`: plots of many
  /// runs write tens of thousands of them.
  static func fixed(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    let tenths = Int((value * 10).rounded())
    let whole = abs(tenths) / 10
    return (tenths < 0 ? "-" : "") + String(whole) + "." + String(abs(tenths) % 10)
  }

  /// Tick positions (in axis units) and labels: powers of ten, or 1-2-5 steps when the range is narrow.
  public static func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [(position: Double, label: String)] {
    if log {
      if hi - lo >= 1.5 {
        return (Int(ceil(lo))...Int(floor(hi))).map { (Double($0), "1e\($0)") }
      }
      for multipliers in [[1.0, 1.5, 2, 3, 4, 5, 6, 8], [1.0, 2, 5], [1.0]] {
        var ticks: [(Double, String)] = []
        for k in Int(floor(lo)) - 1...Int(ceil(hi)) {
          for m in multipliers {
            let value = m * pow(10, Double(k))
            let position = log10(value)
            if position >= lo && position <= hi { ticks.append((position, String(format: "%g", value))) }
          }
        }
        if ticks.count <= 7 || multipliers.count == 1 { return ticks }
      }
      return []
    }
    let span = hi - lo
    let step = pow(10, floor(log10(span / 5)))
    let nice = [1.0, 2, 5, 10].map { $0 * step }.first { span / $0 <= 6 } ?? step * 10
    return stride(from: ceil(lo / nice) * nice, through: hi, by: nice).map { value in
      (value, String(format: "%g", abs(value) < nice * 1e-6 ? 0 : value))
    }
  }

  /// A colour of the viridis scale at t ∈ [0, 1].
  public static func viridis(_ t: Double) -> String {
    let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
    let x = min(max(t, 0), 1) * Double(stops.count - 1)
    let i = min(Int(x), stops.count - 2)
    let f = x - Double(i)
    let (a, b) = (stops[i], stops[i + 1])
    func hex(_ value: Double) -> String {
      let byte = min(255, max(0, Int(value)))
      let digits = Array("0123456789abcdef")
      return String(digits[byte / 16]) + String(digits[byte % 16])
    }
    return "#" + hex(a.0 + (b.0 - a.0) * f) + hex(a.1 + (b.1 - a.1) * f) + hex(a.2 + (b.2 - a.2) * f)
  }
}

extension String {
  /// The text with `&`, `<` and `>` escaped for HTML and SVG.
  public var htmlEscaped: String {
    guard utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") }) else {
      return self
    }
    var escaped = ""
    escaped.reserveCapacity(utf8.count + 16)
    for scalar in unicodeScalars {
      switch scalar {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      default: escaped.unicodeScalars.append(scalar)
      }
    }
    return escaped
  }
}
