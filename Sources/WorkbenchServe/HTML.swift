import Foundation
import WorkbenchKit
import WorkbenchRunLog

/// Escaping and small pieces every page uses.
enum HTML {
  /// Text for an HTML body or a quoted attribute value.
  static func text(_ value: String) -> String {
    guard value.utf8.contains(where: { $0 == 38 || $0 == 60 || $0 == 62 || $0 == 34 || $0 == 39 }) else { return value }
    var escaped = ""
    escaped.reserveCapacity(value.utf8.count + 16)
    for character in value.unicodeScalars {
      switch character {
      case "&": escaped += "&amp;"
      case "<": escaped += "&lt;"
      case ">": escaped += "&gt;"
      case "\"": escaped += "&quot;"
      case "'": escaped += "&#39;"
      default: escaped.unicodeScalars.append(character)
      }
    }
    return escaped
  }

  /// A path segment or query value, percent-encoded.
  static func component(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
  }

  static func experimentPath(_ name: String) -> String { "/experiments/\(component(name))" }
  static func runPath(_ run: RunRecord) -> String { "/runs/\(component(run.key))" }

  /// A number the way the CLI tables print it: 4 significant digits, `-` for none.
  static func number(_ value: Double?) -> String {
    guard let value else { return "-" }
    if value.isNaN { return "nan" }
    if value.isInfinite { return value > 0 ? "inf" : "-inf" }
    return String(format: "%.4g", value)
  }

  static func number(_ value: Int64?) -> String { value.map { number(Double($0)) } ?? "-" }

  static func date(_ date: Date?) -> String {
    guard let date else { return "-" }
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
  }

  /// "12 s ago", "5 min ago", "3 h ago", "2 d ago".
  static func age(_ date: Date?, now: Date = Date()) -> String {
    guard let date else { return "-" }
    let seconds = max(0, now.timeIntervalSince(date))
    switch seconds {
    case ..<120: return "\(Int(seconds)) s ago"
    case ..<7200: return "\(Int(seconds / 60)) min ago"
    case ..<172_800: return "\(Int(seconds / 3600)) h ago"
    default: return "\(Int(seconds / 86400)) d ago"
    }
  }

  static func status(_ status: RunStatus) -> String {
    "<span class=\"status \(status.rawValue)\">\(status.rawValue)</span>"
  }

  static func bytes(_ count: Int64) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(count)
    var unit = 0
    while value >= 1000 && unit < units.count - 1 {
      value /= 1000
      unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
  }

  /// A whole page: title, navigation, the live region `main` and, when `live` is set, the script
  /// that polls `/api/live` and reloads `main` from `live` when the log changes.
  static func page(title: String, breadcrumbs: [(String, String?)], above: String = "", main: String, live: String?)
    -> String
  {
    let crumbs = breadcrumbs.map { name, link in
      link.map { "<a href=\"\(text($0))\">\(text(name))</a>" } ?? "<span>\(text(name))</span>"
    }.joined(separator: " / ")
    let script =
      live.map { url in
        """
        <script>
        (function () {
          var version = null, fragment = \(jsonString(url));
          function checked() { return Array.prototype.map.call(document.querySelectorAll('main input[name=run]:checked'), function (e) { return e.value; }); }
          function poll() {
            fetch('/api/live' + (version === null ? '' : '?version=' + version)).then(function (r) { return r.json(); }).then(function (live) {
              var changed = version !== null && live.version !== version;
              version = live.version;
              document.getElementById('live-state').textContent = 'live · updated ' + new Date().toLocaleTimeString();
              if (!changed) return;
              var keep = checked();
              return fetch(fragment).then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); }).then(function (html) {
                document.querySelector('main').innerHTML = html;
                keep.forEach(function (v) { var e = document.querySelector('main input[name=run][value="' + CSS.escape(v) + '"]'); if (e) e.checked = true; });
                sortable();
              });
            }).catch(function () { document.getElementById('live-state').textContent = 'live · server unreachable'; })
              .then(function () { setTimeout(poll, 2000); });
          }
          function sortable() {
            // A paged table sorts on the server (the header links), so the order covers every run.
            var paged = document.querySelector('main .pager') !== null;
            document.querySelectorAll('table.runs th[data-sort]').forEach(function (th) {
              if (paged) return;
              th.onclick = function (event) {
                event.preventDefault();
                var table = th.closest('table'), body = table.tBodies[0], index = th.cellIndex;
                var ascending = th.getAttribute('data-order') !== 'asc';
                th.setAttribute('data-order', ascending ? 'asc' : 'desc');
                var rows = Array.prototype.slice.call(body.rows);
                rows.sort(function (a, b) {
                  var x = a.cells[index].getAttribute('data-value') || a.cells[index].textContent;
                  var y = b.cells[index].getAttribute('data-value') || b.cells[index].textContent;
                  var numeric = a.cells[index].classList.contains('num');
                  var p = parseFloat(x), q = parseFloat(y);
                  var c = (numeric && !isNaN(p) && !isNaN(q)) ? p - q : x.localeCompare(y);
                  return ascending ? c : -c;
                });
                rows.forEach(function (row) { body.appendChild(row); });
              };
            });
            var filter = document.getElementById('filter');
            if (filter) {
              filter.oninput = function () {
                var words = filter.value.toLowerCase();
                document.querySelectorAll('table.runs tbody tr').forEach(function (row) {
                  row.style.display = row.textContent.toLowerCase().indexOf(words) >= 0 ? '' : 'none';
                });
              };
              filter.oninput();
            }
          }
          sortable();
          poll();
        })();
        </script>
        """
      } ?? ""
    return """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(text(title)) · workbench</title>
      <style>\(style)</style></head>
      <body><header><a class="brand" href="/">workbench</a> <nav>\(crumbs)</nav><span id="live-state">\(live == nil ? "" : "live updates need JavaScript")</span></header>
      \(above)
      <main>\(main)</main>
      \(script)
      </body></html>
      """
  }

  static func jsonString(_ value: String) -> String {
    let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
    // No `<` at all inside the script element (neither `</script>` nor `<!--`).
    return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
  }

  static let style = """
    body{font-family:system-ui,-apple-system,sans-serif;margin:0;color:#1d1d1f;background:#fafafa}
    header{display:flex;gap:1em;align-items:baseline;padding:.7em 1.5em;background:#24292f;color:#eee}
    header a{color:#fff;text-decoration:none}header .brand{font-weight:600}#live-state{margin-left:auto;font-size:12px;color:#aaa}
    main,.above{padding:0 1.5em}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
    table{border-collapse:collapse;background:#fff;font-size:13px}td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top}
    th{background:#f0f0f0;cursor:pointer;white-space:nowrap}th a{color:inherit;text-decoration:none}td.num{text-align:right;font-variant-numeric:tabular-nums}
    .status{padding:1px 6px;border-radius:8px;font-size:12px;background:#ddd}.status.finished{background:#d4edda}.status.running{background:#cce5ff}
    .status.failed,.status.diverged{background:#f8d7da}.status.interrupted,.status.preempted{background:#fff3cd}.status.pending{background:#e2e3e5}
    .figures{display:flex;flex-wrap:wrap;gap:.6em}.figures svg{background:#fff;border:1px solid #ddd}
    pre{background:#fff;border:1px solid #ddd;padding:.7em;overflow:auto;font-size:13px}
    tr.differs td{background:#fff8e1}.muted{color:#777}.error{color:#a00}iframe{width:100%;height:900px;border:1px solid #ddd;background:#fff}
    form.filter{margin:.6em 0}
    """
}
