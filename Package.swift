// swift-tools-version:6.1
import PackageDescription

/// Experiment plugins compiled into workbench: one folder each under `plugins/`, one target each,
/// and one entry each in `ExperimentRegistry` (a test checks that the three agree).
let plugins = ["CurveSweep", "GPTTraining", "InstructionTuning", "PromptSensitivity", "ScalingSweep"]
/// What plugins build on beyond the common layers: the scaling sweep trains through gpt-train;
/// instruction tuning and prompt sensitivity share the instruction suite and its tuned models
/// (prompt sensitivity finds an instruction-tuning run by its key, not through that plugin).
let pluginDependencies: [String: [Target.Dependency]] = [
  "ScalingSweep": ["GPTTrainingPlugin"], "InstructionTuning": ["WorkbenchInstructions"],
  "PromptSensitivity": ["WorkbenchInstructions"],
]

let package = Package(
  name: "workbench",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "workbench", targets: ["workbench"]),
    // For packages that build their own `workbench` with plugins of their own
    // (examples/external-plugin, docs/plugins.md): the plugin API, the command line, the
    // built-in plugins, and the runtime a plugin that trains models builds on.
    .library(name: "WorkbenchKit", targets: ["WorkbenchKit"]),
    .library(name: "WorkbenchCLI", targets: ["WorkbenchCLI"]),
    .library(name: "WorkbenchPlugins", targets: ["ExperimentRegistry"]),
    .library(
      name: "WorkbenchRuntime",
      targets: ["WorkbenchTensor", "WorkbenchNN", "WorkbenchLM", "WorkbenchRandom", "WorkbenchFit", "WorkbenchVulkan"]),
    // Fuzz targets for every reader of outside bytes: `scripts/fuzz` builds this with libFuzzer.
    .executable(name: "workbench-fuzz", targets: ["workbench-fuzz"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    // `workbench serve`: the HTTP server (SwiftNIO underneath); the optional traits stay off.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: []),
    .package(url: "https://github.com/apple/swift-log", from: "1.14.0"),
    // `swift package generate-documentation --target WorkbenchKit`: the plugin API's DocC pages.
    .package(url: "https://github.com/apple/swift-docc-plugin", from: "1.4.0"),
  ],
  targets: [
    .executableTarget(name: "workbench", dependencies: ["WorkbenchCLI", "ExperimentRegistry"]),
    .target(
      name: "WorkbenchCLI",
      dependencies: [
        "WorkbenchKit", "WorkbenchRunLog", "WorkbenchFit", "WorkbenchLM", "WorkbenchFiles",
        "WorkbenchNN", "WorkbenchTensor", "WorkbenchRandom", "WorkbenchVulkan", "WorkbenchServe",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // `workbench serve`: a read-only web view and JSON API over the run log.
    .target(
      name: "WorkbenchServe",
      dependencies: [
        "WorkbenchRunLog", "WorkbenchKit", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"), .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
      ]),
    .executableTarget(name: "workbench-fuzz", dependencies: ["WorkbenchFuzzing"]),
    .target(
      name: "WorkbenchFuzzing",
      dependencies: [
        "ExperimentRegistry", "WorkbenchKit", "WorkbenchFit", "WorkbenchInstructions", "WorkbenchLM", "WorkbenchRunLog",
        "WorkbenchTensor",
      ]),
    .target(name: "ExperimentRegistry", dependencies: ["WorkbenchKit"] + plugins.map { .target(name: "\($0)Plugin") }),
    .target(
      name: "WorkbenchKit",
      dependencies: [
        "WorkbenchRunLog", "WorkbenchFit", "WorkbenchTensor", "WorkbenchRandom", "WorkbenchFiles", "WorkbenchErrors",
        .product(name: "Yams", package: "Yams"), .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .target(name: "WorkbenchRunLog", dependencies: ["WorkbenchErrors", .product(name: "GRDB", package: "GRDB.swift")]),
    // Fits run thousands of L-BFGS starts: optimised even in debug builds, so tests stay fast.
    .target(name: "WorkbenchFit", dependencies: ["WorkbenchErrors"], swiftSettings: [.unsafeFlags(["-O"])]),
    // The instruction suite, its encodings, SNI's metrics, and how instruction-tuned models are
    // made: the experiment domain the instruction-tuning and prompt-sensitivity plugins share.
    .target(
      name: "WorkbenchInstructions",
      dependencies: [
        "WorkbenchKit", "WorkbenchLM", "WorkbenchNN", "WorkbenchTensor", "WorkbenchRandom", "WorkbenchErrors",
        "WorkbenchFiles",
      ]),
    .target(
      name: "WorkbenchLM",
      dependencies: [
        "WorkbenchNN", "WorkbenchTensor", "WorkbenchRandom", "WorkbenchFiles", "WorkbenchErrors", "CWorkbenchKernels",
        "CZlib",
      ]),
    .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
    .target(name: "WorkbenchNN", dependencies: ["WorkbenchTensor"]),
    .target(name: "WorkbenchTensor", dependencies: ["WorkbenchRandom", "WorkbenchErrors", "CWorkbenchKernels"]),
    // Writing files atomically: a leaf, shared by checkpoints (WorkbenchLM) and artifacts (WorkbenchKit).
    .target(name: "WorkbenchFiles"),
    // The one shape of errors (a closed code, one line for the user): a leaf every layer conforms to.
    .target(name: "WorkbenchErrors"),
    // Seeded random numbers: a leaf, so data code (the task suite) need not import the tensor runtime.
    .target(name: "WorkbenchRandom"),
    .target(
      name: "WorkbenchVulkan",
      dependencies: ["WorkbenchTensor", "WorkbenchErrors", "CVulkanCompute", "CWorkbenchKernels"]),
    // The Vulkan offload layer. The loader is opened at run time (no libvulkan link); glslang and
    // SPIRV-Tools are Debian 12's static archives, linked in the order they depend on each other.
    .target(
      name: "CVulkanCompute",
      dependencies: ["CWorkbenchKernels"],  // the checksum of its cache files
      exclude: [],
      cSettings: [.unsafeFlags(["-O2", "-std=gnu2x", "-Wno-c23-extensions"])],
      linkerSettings: [
        .linkedLibrary("glslang-default-resource-limits"), .linkedLibrary("SPIRV"), .linkedLibrary("glslang"),
        .linkedLibrary("MachineIndependent"), .linkedLibrary("OSDependent"), .linkedLibrary("GenericCodeGen"),
        .linkedLibrary("OGLCompiler"), .linkedLibrary("SPIRV-Tools-opt"), .linkedLibrary("SPIRV-Tools"),
        .linkedLibrary("stdc++"), .linkedLibrary("pthread"), .linkedLibrary("dl"), .linkedLibrary("m"),
      ]),
    // The CPU kernels. OpenBLAS is opened at run time (dlopen), after its core type has been chosen
    // from the processor's features; without it a portable multiply runs.
    .target(
      name: "CWorkbenchKernels",
      cSettings: [.unsafeFlags(["-O3", "-fno-math-errno"])],
      linkerSettings: [.linkedLibrary("pthread"), .linkedLibrary("dl"), .linkedLibrary("m")]),
    // Test support, by layer: each test target links only what it tests.
    // Temporary folders, the shared reference data, running the built binary (Foundation only).
    .target(name: "WorkbenchTestSupport", path: "Tests/WorkbenchTestSupport"),
    // Finite-difference gradient checks and float64 references of the tensor runtime's ops.
    .target(name: "TensorTestSupport", dependencies: ["WorkbenchTensor"], path: "Tests/TensorTestSupport"),
    // The Vulkan device the tests run on (lavapipe in CI), with validation on.
    .target(
      name: "VulkanTestSupport", dependencies: ["WorkbenchTensor", "WorkbenchVulkan"], path: "Tests/VulkanTestSupport"),
    // End-to-end tests: the built `workbench`, the log it wrote, the SQLite shell.
    .target(
      name: "EndToEndTestSupport", dependencies: ["WorkbenchRunLog", "WorkbenchTestSupport"],
      path: "Tests/EndToEndTestSupport"),
    .testTarget(name: "WorkbenchFitTests", dependencies: ["WorkbenchFit", "WorkbenchTestSupport"]),
    .testTarget(name: "WorkbenchTensorTests", dependencies: ["WorkbenchTensor", "TensorTestSupport"]),
    .testTarget(
      name: "WorkbenchVulkanTests",
      dependencies: ["WorkbenchVulkan", "WorkbenchTensor", "TensorTestSupport", "VulkanTestSupport"]),
    .testTarget(
      name: "WorkbenchLMTests",
      dependencies: [
        "WorkbenchLM", "WorkbenchNN", "CWorkbenchKernels", "WorkbenchTestSupport", "TensorTestSupport",
        "VulkanTestSupport",
      ]),
    .testTarget(
      name: "WorkbenchInstructionsTests",
      dependencies: ["WorkbenchInstructions", "WorkbenchLM", "WorkbenchRandom", "WorkbenchTestSupport"],
      exclude: ["Data"]),  // test data the tests read by path
    .testTarget(
      name: "WorkbenchRunLogTests",
      dependencies: ["WorkbenchRunLog", "WorkbenchTestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
    .testTarget(name: "WorkbenchKitTests", dependencies: ["WorkbenchKit", "WorkbenchTestSupport"]),
    .testTarget(name: "FuzzRegressionTests", dependencies: ["WorkbenchFuzzing"]),
    .testTarget(
      name: "WorkbenchCLITests",
      dependencies: [
        "workbench", "WorkbenchCLI", "ExperimentRegistry", "WorkbenchRunLog", "WorkbenchServe", "WorkbenchTensor",
        "WorkbenchTestSupport", "VulkanTestSupport", "EndToEndTestSupport",
      ]),
    // One test target per plugin: its units and its experiments end to end.
    .testTarget(name: "CurveSweepPluginTests", dependencies: ["CurveSweepPlugin", "WorkbenchKit"]),
    .testTarget(
      name: "GPTTrainingPluginTests",
      dependencies: [
        "workbench", "GPTTrainingPlugin", "WorkbenchRunLog", "WorkbenchTestSupport", "EndToEndTestSupport",
      ]),
    .testTarget(
      name: "ScalingSweepPluginTests",
      dependencies: [
        "workbench", "ScalingSweepPlugin", "WorkbenchRunLog", "WorkbenchTestSupport", "EndToEndTestSupport",
      ]
    ),
    .testTarget(
      name: "InstructionTuningPluginTests",
      dependencies: [
        "workbench", "InstructionTuningPlugin", "WorkbenchInstructions", "WorkbenchRunLog", "WorkbenchTestSupport",
        "EndToEndTestSupport",
      ]),
    .testTarget(
      name: "PromptSensitivityPluginTests",
      dependencies: [
        "workbench", "PromptSensitivityPlugin", "WorkbenchInstructions", "WorkbenchFit", "WorkbenchLM",
        "WorkbenchRandom", "WorkbenchTensor", "WorkbenchRunLog", "WorkbenchTestSupport", "EndToEndTestSupport",
      ]),
  ]
    + plugins.map {
      .target(
        name: "\($0)Plugin",
        dependencies: [
          "WorkbenchKit", "WorkbenchFit", "WorkbenchTensor", "WorkbenchRandom", "WorkbenchLM", "WorkbenchNN",
          "WorkbenchFiles", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]
          + (pluginDependencies[$0] ?? []),
        path: "plugins/\($0)")
    },
  swiftLanguageModes: [.v6]
)
