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
    .package(name: "workbench", path: "../.."),
    // For the command the plugin adds (`workbench words`); the version workbench itself uses.
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
  ],
  targets: [
    // The plugin: the plugin API, and workbench's fits.
    .target(
      name: "HeapsLawPlugin",
      dependencies: [
        .product(name: "WorkbenchKit", package: "workbench"),
        .product(name: "WorkbenchRuntime", package: "workbench"),  // PowerLaw.fit
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // The executable: the built-in plugins plus this package's, behind workbench's command line.
    .executableTarget(
      name: "my-workbench",
      dependencies: [
        "HeapsLawPlugin", .product(name: "WorkbenchCLI", package: "workbench"),
        .product(name: "WorkbenchKit", package: "workbench"), .product(name: "WorkbenchPlugins", package: "workbench"),
      ]),
  ],
  swiftLanguageModes: [.v6]
)
