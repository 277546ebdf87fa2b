/// Facts about this build of workbench.
public enum Workbench {
  /// The version recorded with every run.
  public static let version = "0.1.0"
}
