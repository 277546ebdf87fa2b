// swift-tools-version:6.1
import PackageDescription

// A package of one's own that builds a `workbench` with every built-in plugin plus its own:
// `swift build`, then `.build/debug/my-workbench run experiments/heaps.yaml`.
let package = Package(
  name: "external-plugin",
  platforms: [.macOS(.v15)],
  dependencies: [
    // The workbench checkout this example lives in. Elsewhere: a checkout of workbench beside
    // your package, `.package(path: "../workbench")` (see docs/plugins.md).
    .package(name: "workbench", path: "../..")
  ],
  targets: [
    // The plugin: depends on the plugin API only.
    .target(name: "HeapsLawPlugin", dependencies: [.product(name: "WorkbenchKit", package: "workbench")]),
    // The executable: the built-in plugins plus this package's, behind workbench's command line.
    .executableTarget(
      name: "my-workbench",
      dependencies: [
        "HeapsLawPlugin", .product(name: "WorkbenchCLI", package: "workbench"),
        .product(name: "WorkbenchPlugins", package: "workbench"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
