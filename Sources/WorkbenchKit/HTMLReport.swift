import Foundation
import WorkbenchFiles

extension AnalysisContext {
  /// Writes the experiment's report page, `report.html` in `directory`: `body` (HTML: headings,
  /// tables, `SVGPlot.render()` output) in a self-contained page titled `title`, with one style
  /// sheet for every plugin's tables, plots and text. Replaces the previous report atomically and
  /// prints where it is; returns its location.
  @discardableResult
  public func writeReport(title: String, body: String) throws -> URL {
    let url = directory.appendingPathComponent("report.html")
    let page = """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><title>\(title.htmlEscaped)</title>
      <style>\(Self.reportStyle)</style></head>
      <body>
      \(body)
      </body></html>

      """
    try Data(page.utf8).writeAtomically(to: url)
    print("report: \(url.path)")
    return url
  }

  static let reportStyle = """
    body{font-family:system-ui,sans-serif;margin:2em;max-width:1400px}svg{background:#fff;margin:0.5em;border:1px solid #ddd}
    pre{font-size:13px;background:#f6f6f6;padding:1em}table{border-collapse:collapse}
    td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}
    """
}
