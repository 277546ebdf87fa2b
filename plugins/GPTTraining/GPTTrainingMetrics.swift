import WorkbenchKit

/// The metrics a `gpt-train` run logs (and a `scaling-sweep` run, which trains the same way),
/// besides `MetricName.trainLoss` and `MetricName.valLoss`.
extension MetricName {
  /// Validation loss in bits per byte (the tokenizer is bytes): `val_loss / ln 2`.
  public static let valBitsPerByte = MetricName("val_bits_per_byte")
  /// Training throughput over the whole run.
  public static let tokensPerSecond = MetricName("tokens_per_second")
  /// With `evaluation.full`: the loss over the whole validation part, at the end.
  public static let valLossFull = MetricName("val_loss_full")
  public static let valBitsPerByteFull = MetricName("val_bits_per_byte_full")
  /// The model's sizes and the schedule's peak, at step 0.
  public static let kaplanParameters = MetricName("n_kaplan")
  public static let flopsPerToken6N = MetricName("flops_per_token_6n")
  public static let flopsPerTokenExact = MetricName("flops_per_token_exact")
  public static let peakLearningRate = MetricName("learning_rate_peak")
}
