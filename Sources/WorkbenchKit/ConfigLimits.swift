/// What workbench refuses to read from an experiment file or the command line, so that a file
/// built to hurt (an alias bomb, a sweep of a billion runs, a file of gigabytes) costs one line and
/// a non-zero exit instead of the machine's memory. Each limit is far above any real experiment's
/// needs; docs/run-log.md ("Limits and integrity") lists them.
public enum ConfigLimits {
  /// Bytes of an experiment file.
  public static let fileBytes = 1 << 20
  /// Values (scalars, lists, mappings) of one YAML document after its aliases are expanded.
  public static let expandedValues = 100_000
  /// Nesting of lists and mappings (libyaml's own limit, which workbench keeps).
  public static let nesting = 1_000
  /// Runs planned from one experiment file: sweep points, and the runs the plugin makes of them.
  public static let runs = 10_000

  /// `100,000`: a count as the documentation and errors write it.
  static func spelled(_ value: Int) -> String {
    let digits = Array(String(value))
    var out = ""
    for (i, digit) in digits.enumerated() {
      if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
      out.append(digit)
    }
    return out
  }
}
