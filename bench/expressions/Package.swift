// swift-tools-version:6.1
// Benchmark of ArgosyExpressions. The main package exports no library for the target, so the sources are reached
// through symlinks (Sources/ArgosyModel, Sources/ArgosyExpressions → ../../../Sources/…). Run: swift run -c release
import PackageDescription

let package = Package(
    name: "expressions-bench",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        .target(
            name: "ArgosyModel",
            dependencies: ["Yams", .product(name: "OrderedCollections", package: "swift-collections")],
            exclude: ["README.md"]
        ),
        .target(name: "ArgosyExpressions", dependencies: ["ArgosyModel"], exclude: ["README.md"]),
        .executableTarget(name: "expressions-bench", dependencies: ["ArgosyExpressions", "ArgosyModel"]),
    ]
)
