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
    traits: [
        // OTLP/HTTP span export through swift-otel, which adds minutes to a cold build: the test script,
        // the Dockerfile and the release build enable it; `swift build` alone leaves it out.
        .trait(name: "OTLPTracing", description: "Export job and attempt spans over OTLP/HTTP (swift-otel).")
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(
            url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0",
            traits: [.trait(name: "OTLPHTTP", condition: .when(traits: ["OTLPTracing"]))]
        ),
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
        // The public contract: job, result, telemetry, dead letter, config, and their validation. It speaks
        // the engine's vocabulary (routes, policy, decisions, circuit states) rather than a copy of it.
        .target(
            name: "Jobs",
            dependencies: ["Completions", "Failover", "Comparison", .product(name: "Yams", package: "Yams")],
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
        // Provider adapters: each provider's wire format and failures, over one shared HTTP client.
        .target(
            name: "Providers",
            dependencies: [
                "Completions",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The provider simulator: speaks the providers' wire formats and fails like they do.
        .target(
            name: "Simulator",
            dependencies: [
                "Completions", "Providers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Consume, run, publish, commit: offsets, back-pressure, rebalance, shutdown.
        .target(
            name: "Worker",
            dependencies: [
                "Completions", "Failover", "Jobs", "Kafka", "Providers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Running it in production: the status server (/metrics in Prometheus text, /healthz, /readyz)
        // and the JSON log handler.
        .target(
            name: "Observability",
            dependencies: [
                "Worker",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel", condition: .when(traits: ["OTLPTracing"])),
            ],
            swiftSettings: swiftSettings
        ),
        // Backup against primary, for `understudy compare` and shadow traffic: similarity, structure,
        // field agreement, percentiles, verdicts against thresholds. No Kafka, no HTTP.
        .target(name: "Comparison", dependencies: ["Completions"], swiftSettings: swiftSettings),
        // The fleet's view of its telemetry, for `understudy report` and `understudy dashboard`: per-minute
        // aggregation, the summary, the SVG timeline, the live page and its snapshots. No Kafka, no HTTP.
        .target(name: "FleetView", dependencies: ["Jobs", "Failover", "Completions"], swiftSettings: swiftSettings),
        // The failover engine: no Kafka, no HTTP.
        .target(name: "Failover", dependencies: ["Completions"], swiftSettings: swiftSettings),
        // The test rig shared by every test target: Tansu brokers, mock clusters, processes.
        .target(
            name: "UnderstudyTesting",
            dependencies: [
                "Kafka", "Jobs", "Simulator",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What tests of the engine need and production never does: a manual clock, an executor that knows
        // when the work is idle, a sink that records events.
        .target(name: "FailoverTesting", dependencies: ["Failover"], swiftSettings: swiftSettings),
        // The seeded fuzz generator and hostile inputs every fuzz test shares.
        .target(name: "FuzzTesting", dependencies: ["Completions"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "understudy",
            dependencies: [
                "Kafka", "Jobs", "Worker", "Simulator", "Providers", "Comparison", "Failover", "Completions", "Observability", "FleetView",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
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
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Kafka", "Simulator", "UnderstudyTesting", "Worker", "understudy"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ProvidersTests",
            dependencies: [
                "Providers", "Completions", "FuzzTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SimulatorTests",
            dependencies: [
                "Simulator", "Providers", "Completions", "Failover", "FailoverTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ObservabilityTests",
            dependencies: [
                "Observability", "Worker", "Jobs", "Failover", "Completions",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FleetViewTests", dependencies: ["FleetView", "Jobs", "Failover", "Completions", "Comparison"], swiftSettings: swiftSettings),
        .testTarget(name: "ComparisonTests", dependencies: ["Comparison", "Completions"], swiftSettings: swiftSettings),
        .testTarget(name: "CompletionsTests", dependencies: ["Completions", "FuzzTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FailoverTests", dependencies: ["Failover", "FailoverTesting", "Completions", "FuzzTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "WorkerTests",
            dependencies: [
                "Worker", "Jobs", "Completions", "Comparison", "Failover", "Kafka", "Providers", "FailoverTesting",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "JobsTests", dependencies: ["Jobs", "Completions", "Comparison", "Failover", "FuzzTesting", "UnderstudyTesting"],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "PipelineBenchmark",
            dependencies: ["Completions", "Kafka", "Simulator", "UnderstudyTesting", "Worker"],
            path: "Benchmarks/PipelineBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "BatchBenchmark",
            dependencies: ["Completions", "Kafka", "Simulator", "UnderstudyTesting"],
            path: "Benchmarks/BatchBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "EngineBenchmark",
            dependencies: ["Failover", "Completions"],
            path: "Benchmarks/EngineBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ContractBenchmark",
            dependencies: ["Completions", "Jobs"],
            path: "Benchmarks/ContractBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "SimulatorBenchmark",
            dependencies: [
                "Simulator", "Providers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/SimulatorBenchmark",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ProvidersBenchmark",
            dependencies: ["Providers", "Completions"],
            path: "Benchmarks/ProvidersBenchmark",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", "UnderstudyTesting"],
            swiftSettings: swiftSettings
        ),
    ]
)

// `UNDERSTUDY_SANITIZE=address` or `=thread` builds the project's own targets with that sanitizer
// (CI runs the Kafka and Worker suites so). Dependencies are left as built, so switching costs a
// rebuild of this package only, not of swift-nio and the rest.
if let sanitizer = Context.environment["UNDERSTUDY_SANITIZE"], ["address", "thread"].contains(sanitizer) {
    for target in package.targets where target.type != .system {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-sanitize=\(sanitizer)"])]
        target.linkerSettings = (target.linkerSettings ?? []) + [.unsafeFlags(["-sanitize=\(sanitizer)"])]
    }
}
