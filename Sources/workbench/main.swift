import ExperimentRegistry
import WorkbenchCLI

WorkbenchCommand.main(plugins: ExperimentRegistry.plugins)
