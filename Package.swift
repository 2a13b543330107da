// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "b00t",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "B00tCore", targets: ["B00tCore"]),
        // For the fuzz targets in Fuzz/ (a package of their own, built with -sanitize=fuzzer).
        .library(name: "K0mmand3rKit", targets: ["K0mmand3rKit"]),
        .executable(name: "b00t", targets: ["B00tMain"]),
        .executable(name: "b00t-mcp", targets: ["B00tMCPMain"]),
        .executable(name: "k0mmand3r", targets: ["K0mmand3r"]),
        .executable(name: "b00t-bench", targets: ["B00tBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLineEdit",
            path: "Sources/CLineEdit",
            providers: [.apt(["libedit-dev"])]
        ),
        .systemLibrary(
            name: "CNcurses",
            path: "Sources/CNcurses",
            providers: [.apt(["libncurses-dev"])]
        ),
        .systemLibrary(
            name: "CHiredis",
            path: "Sources/CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .target(name: "CB00tSystem"),
        .target(
            name: "B00tCore",
            dependencies: [
                "CB00tSystem",
                "CHiredis",
                "COpenBLAS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The MCP server and client (the SDK, whose HTTP transport pulls in FoundationNetworking and with it
        // libcurl and ~30 shared libraries): kept out of B00tCore so `b00t` and `k0mmand3r` start without
        // loading them (~7 ms of every process start here). `b00t mcp serve|tools|execute` run `b00t-mcp`.
        .target(
            name: "B00tMCP",
            dependencies: ["B00tCore", .product(name: "MCP", package: "swift-sdk")]
        ),
        .target(
            name: "K0mmand3rKit",
            dependencies: ["B00tCore"]
        ),
        // b00t's commands, shared by the two executables below.
        .target(
            name: "B00tCLI",
            dependencies: [
                "B00tCore",
                "K0mmand3rKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(name: "B00tMain", dependencies: ["B00tCLI"]),
        // `b00t mcp serve|tools|execute`, exec'd by `b00t` (see B00tMCP above).
        .executableTarget(
            name: "B00tMCPMain",
            dependencies: [
                "B00tCLI", "B00tMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "MCP", package: "swift-sdk"),
            ]
        ),
        .executableTarget(
            name: "K0mmand3r",
            dependencies: [
                "B00tCore", "K0mmand3rKit", "CLineEdit", "CNcurses",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "B00tBench",
            dependencies: ["B00tCore", "B00tMCP", "K0mmand3rKit", "CB00tSystem", .product(name: "MCP", package: "swift-sdk"), .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "GRDBSQLite", package: "GRDB.swift"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")],
            path: "Benchmarks/b00t-bench"
        ),
        // Helpers every test target shares (one temporary-folder type, not three).
        .target(name: "B00tTestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "B00tCoreTests",
            dependencies: ["B00tCore", "B00tMCP", "B00tTestSupport", .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "NIOEmbedded", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "MCP", package: "swift-sdk"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Prometheus", package: "swift-prometheus")]
        ),
        .testTarget(
            name: "K0mmand3rKitTests",
            dependencies: ["K0mmand3rKit", "B00tCore", "B00tTestSupport"]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["B00tCore", "K0mmand3rKit", "B00tTestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
