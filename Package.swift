// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .unsafeFlags(["-warnings-as-errors"])
]

let package = Package(
    name: "argosy",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "argosy", targets: ["argosy"]),
        .executable(name: "argosy-exec", targets: ["ArgosyExec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "ArgosyModel",
            dependencies: ["Yams", .product(name: "OrderedCollections", package: "swift-collections")],
            exclude: ["README.md"],
            swiftSettings: strict
        ),
        .target(
            name: "ArgosyExpressions",
            dependencies: ["ArgosyModel"],
            exclude: ["README.md"],
            swiftSettings: strict
        ),
        .target(
            name: "ArgosyEngine",
            dependencies: [
                "ArgosyModel", "ArgosyExpressions", .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict
        ),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .target(
            name: "ArgosyStore",
            dependencies: ["ArgosyModel", "CSQLite"],
            exclude: ["README.md"],
            swiftSettings: strict
        ),
        // posix_spawn, pidfd_open and waitpid wrappers the Swift runtime code calls.
        .target(name: "CArgosySupport", cSettings: [.unsafeFlags(["-Wall", "-Werror"])]),
        .target(
            name: "ArgosyRuntime",
            dependencies: ["ArgosyModel", "CArgosySupport"],
            exclude: ["README.md"],
            swiftSettings: strict
        ),
        .target(
            name: "ArgosyController",
            dependencies: [
                "ArgosyEngine", "ArgosyStore", "ArgosyRuntime",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict
        ),
        .target(
            name: "ArgosyServer",
            dependencies: [
                "ArgosyController", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict
        ),
        .target(
            name: "ArgosyCLI",
            dependencies: [
                "ArgosyController", "ArgosyServer", "CArgosySupport", "Yams",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: strict
        ),
        .executableTarget(name: "argosy", dependencies: ["ArgosyCLI"], swiftSettings: strict),
        // The step supervisor: mount namespace, private /tmp, volume mounts, log capture, exit status.
        .executableTarget(
            name: "ArgosyExec",
            cSettings: [.unsafeFlags(["-Wall", "-Werror", "-O2"])],
            // A static binary without the Swift runtime: it starts once per step (see swift_runtime_stubs.c).
            linkerSettings: [.unsafeFlags(["-static-executable"])]
        ),
        .target(
            name: "ArgosyTestSupport",
            dependencies: [
                "ArgosyEngine", "ArgosyStore", "ArgosyRuntime", "ArgosyController",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/ArgosyTestSupport",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ArgosyExpressionsTests", dependencies: ["ArgosyExpressions", "ArgosyTestSupport"],
            swiftSettings: strict),
        .testTarget(
            name: "ArgosyTests",
            dependencies: ["ArgosyTestSupport", "ArgosyCLI"],
            swiftSettings: strict
        ),
    ]
)
