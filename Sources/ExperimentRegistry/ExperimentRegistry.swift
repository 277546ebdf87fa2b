import CurveSweepPlugin
import GPTTrainingPlugin
import InstructionTuningPlugin
import PromptSensitivityPlugin
import ScalingSweepPlugin
import WorkbenchKit

/// The one list of plugins compiled into workbench. Each has a folder under `plugins/` and a
/// target in Package.swift; a test fails when the three disagree.
public enum ExperimentRegistry {
  /// Every plugin, in the order `workbench plugins` lists them.
  public static let plugins: [AnyExperimentPlugin] = [
    AnyExperimentPlugin(CurveSweepPlugin.self),
    AnyExperimentPlugin(GPTTrainingPlugin.self),
    AnyExperimentPlugin(InstructionTuningPlugin.self),
    AnyExperimentPlugin(PromptSensitivityPlugin.self),
    AnyExperimentPlugin(ScalingSweepPlugin.self),
  ]

  /// The folder under `plugins/` of each plugin, by plugin id.
  public static let folders: [String: String] = [
    CurveSweepPlugin.id: "CurveSweep",
    GPTTrainingPlugin.id: "GPTTraining",
    InstructionTuningPlugin.id: "InstructionTuning",
    PromptSensitivityPlugin.id: "PromptSensitivity",
    ScalingSweepPlugin.id: "ScalingSweep",
  ]
}
