import ExperimentRegistry
import HeapsLawPlugin
import WorkbenchCLI
import WorkbenchKit

WorkbenchCommand.main(plugins: ExperimentRegistry.plugins + [AnyExperimentPlugin(HeapsLawPlugin.self)])
