// swift-tools-version: 6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "understudy",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "understudy", targets: ["understudy"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
    ],
    targets: [
        // The C boundary: librdkafka through pkg-config. Only `Kafka` imports it.
        .systemLibrary(
            name: "CLibrdkafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // The provider-neutral request, response and failure vocabulary: the bottom of the graph.
        .target(name: "Completions", swiftSettings: swiftSettings),
        // The public contract: job, result, telemetry, dead letter, config, and their validation.
        .target(
            name: "Jobs",
            dependencies: ["Completions", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        // The only module that calls librdkafka.
        .target(
            name: "Kafka",
            dependencies: [
                "CLibrdkafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The test rig shared by every test target: Tansu brokers, mock clusters, processes.
        .target(
            name: "UnderstudyTesting",
            dependencies: [
                "Kafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "understudy",
            dependencies: [
                "Kafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "KafkaBenchmark",
            dependencies: ["Kafka", "UnderstudyTesting"],
            path: "Benchmarks/KafkaBenchmark",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "JobsTests", dependencies: ["Jobs", "Completions", "UnderstudyTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "UnderstudyTesting"],
            swiftSettings: swiftSettings
        ),
    ]
)
