// swift-tools-version: 6.0
// libFuzzer targets for b00t's parsers. A package of its own so that `-sanitize=fuzzer` never touches the
// main build. Built and run by Fuzz/run.sh (`make fuzz`, `make fuzz-ci`).
import PackageDescription

let b00t: [Target.Dependency] = [
    "FuzzSupport",
    .product(name: "B00tCore", package: "b00t"),
    .product(name: "K0mmand3rKit", package: "b00t"),
]

let package = Package(
    name: "b00t-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "b00t", path: "..")],
    targets: [
        .target(name: "CFuzz"),
        .target(name: "FuzzSupport", dependencies: ["CFuzz"]),
    ] + ["FuzzDatum", "FuzzQuery", "FuzzReplay", "FuzzWire", "FuzzRepl", "FuzzMutate"].map {
        .executableTarget(name: $0, dependencies: b00t)
    },
    swiftLanguageModes: [.v6]
)
