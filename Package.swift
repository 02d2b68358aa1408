// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "whistle",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "whistle", targets: ["whistle"]),
        .library(name: "WhistleCore", targets: ["WhistleCore"]),
        .library(name: "WhistleStore", targets: ["WhistleStore"]),
        .library(name: "WhistleServer", targets: ["WhistleServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .target(
            name: "WhistleCore",
            dependencies: [
                .product(name: "Yams", package: "Yams")
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WhistleStore",
            dependencies: [
                "WhistleCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WhistleServer",
            dependencies: [
                "WhistleCore",
                "WhistleStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "whistle",
            dependencies: [
                "WhistleCore",
                "WhistleStore",
                "WhistleServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "WhistleTestSupport",
            dependencies: [
                "WhistleCore", "WhistleStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/WhistleTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WhistleCoreTests",
            dependencies: ["WhistleCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WhistleStoreTests",
            dependencies: ["WhistleStore", "WhistleCore", "WhistleTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WhistleServerTests",
            dependencies: [
                "WhistleServer", "WhistleStore", "WhistleCore", "WhistleTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "WhistleCLITests",
            dependencies: ["WhistleTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
