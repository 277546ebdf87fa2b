/// The name of a metric, declared once by the code that writes it: `execute` logs through the
/// declaration and `analyze`, reports and `serve` read through it, so a renamed metric cannot
/// leave a reader behind (a misspelt string would compile and read an empty series).
///
/// Declare a plugin's metrics beside it, as constants or as functions of their parts:
///
/// ```swift
/// extension MetricName {
///   static let gradNorm = MetricName("grad_norm")
///   static func accuracy(task: String) -> MetricName { MetricName("accuracy.\(task)") }
/// }
/// ```
public struct MetricName: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// The name as stored in the log's `metric.name` column (what SQL queries match).
  public let name: String

  public init(_ name: String) { self.name = name }

  /// `self.component`: a metric under this one's prefix.
  public func appending(_ component: String) -> MetricName { MetricName("\(name).\(component)") }

  public var description: String { name }

  public static func < (lhs: MetricName, rhs: MetricName) -> Bool { lhs.name < rhs.name }
}

extension MetricName {
  /// Training loss in nats per token, against tokens and FLOPs: what `workbench serve` draws.
  public static let trainLoss = MetricName("train_loss")
  /// Validation loss in nats per token, against tokens and FLOPs: what the scaling fits and
  /// `workbench serve` read.
  public static let valLoss = MetricName("val_loss")
}
