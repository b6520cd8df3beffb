// swift-tools-version:6.1
import PackageDescription

let package = Package(
  name: "churn",
  products: [
    .executable(name: "churn", targets: ["ChurnCLI"]),
    .library(name: "ChurnCore", targets: ["ChurnCore"]),
    .library(name: "ChurnFeatures", targets: ["ChurnFeatures"]),
    .library(name: "ChurnModels", targets: ["ChurnModels"]),
    .library(name: "ChurnScoring", targets: ["ChurnScoring"]),
    .library(name: "ChurnPipeline", targets: ["ChurnPipeline"]),
  ],
  dependencies: [
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),  // scripts/docs
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // OpenBLAS (cblas + Fortran LAPACK symbols); imported by exactly one file, ChurnCore/Matrix+BLAS.swift.
    .systemLibrary(
      name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
    // zlib, to read .csv.gz inputs as a stream; imported by exactly one file, ChurnCore/GzipStream.swift.
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
    // libpq, PostgreSQL's client library (`--database`); imported by exactly one file,
    // ChurnPipeline/Database/PostgresConnection.swift.
    .systemLibrary(name: "CLibpq", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
    .target(name: "ChurnCore", dependencies: ["COpenBLAS", "CZlib"]),
    .target(name: "ChurnFeatures", dependencies: ["ChurnCore"]),
    .target(name: "ChurnModels", dependencies: ["ChurnCore"]),
    .target(name: "ChurnScoring", dependencies: ["ChurnCore"]),
    // The weekly job as a library: the one module the CLI (and a Swift user) imports.
    .target(name: "ChurnPipeline", dependencies: ["ChurnCore", "ChurnFeatures", "ChurnModels", "ChurnScoring", "CLibpq"]),
    .executableTarget(
      name: "ChurnCLI",
      dependencies: [
        "ChurnPipeline",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // Benchmark drivers called by scripts/bench-*: generate data, time the library, print figures.
    .executableTarget(name: "churn-bench", dependencies: ["ChurnCore", "ChurnModels", "ChurnTestSupport"], path: "Sources/ChurnBench"),

    .target(name: "ChurnTestSupport", dependencies: ["ChurnCore"], path: "Tests/ChurnTestSupport"),
    .testTarget(name: "ChurnCoreTests", dependencies: ["ChurnCore", "ChurnTestSupport"]),
    .testTarget(name: "ChurnFeaturesTests", dependencies: ["ChurnFeatures", "ChurnTestSupport"]),
    .testTarget(name: "ChurnModelsTests", dependencies: ["ChurnModels", "ChurnScoring", "ChurnTestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "ChurnScoringTests", dependencies: ["ChurnScoring", "ChurnTestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "ChurnPipelineTests", dependencies: ["ChurnPipeline", "ChurnTestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "ChurnCLITests", dependencies: ["ChurnCore", "ChurnFeatures", "ChurnModels", "ChurnScoring", "ChurnPipeline", "ChurnTestSupport"]),
  ]
)
