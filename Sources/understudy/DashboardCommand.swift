import ArgumentParser
import Completions
import FleetView
import Foundation
import Jobs
import Kafka
import Logging
import Observability
import ServiceLifecycle
import UnixSignals

/// `understudy dashboard --config FILE [--listen 127.0.0.1:8080] [--since 1h]`: one page that
/// follows the telemetry topic live (its own consumer, from the look-back) and redraws per
/// workload and route: jobs and success share, failovers per minute, breaker state, latency
/// p50/p95 and cost, pushed to the browser as server-sent events.
///
/// Bounded whatever the traffic: events are aggregated per minute on the server (``FleetWindow``
/// keeps at most the look-back and a capped number of series), and each push is one snapshot of
/// that, built at most once per refresh.
struct DashboardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Serve a live dashboard of the fleet's telemetry (server-sent events; works offline)."
    )

    @Option(name: .long, help: "The YAML config file.")
    var config: String

    @Option(name: .long, help: "host:port to serve on (port 0: any free port).")
    var listen: String = "127.0.0.1:8080"

    @Option(name: .long, help: "The look-back shown: 30m, 1h, 24h (at most 7d).")
    var since: String = "1h"

    @Option(name: .long, help: "Only this workload (and the breaker changes of its routes).")
    var workload: String?

    @Option(name: .long, help: "Seconds between pushes to the browser (0.2 to 60).")
    var refreshSeconds: Double = 1

    @Option(name: .long, help: "Seconds an event stream lives before the browser reconnects (1 to 3600).")
    var streamSeconds: Double = 300

    /// The longest look-back: a week of minutes.
    static let maxLookBack = Duration.seconds(7 * 86_400)

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: "notice")
        guard let lookBack = CommandSupport.duration(since), lookBack <= Self.maxLookBack else {
            CommandSupport.printError("--since: expected a whole number and a unit (30m, 1h, 24h) of at most 7d, got \(since)")
            throw ExitCode(2)
        }
        guard (0.2...60).contains(refreshSeconds) else {
            CommandSupport.printError("--refresh-seconds: expected 0.2 to 60, got \(refreshSeconds)")
            throw ExitCode(2)
        }
        guard (1...3_600).contains(streamSeconds) else {
            CommandSupport.printError("--stream-seconds: expected 1 to 3600, got \(streamSeconds)")
            throw ExitCode(2)
        }
        guard let address = HostPortArgument(listen) else {
            CommandSupport.printError("--listen: expected host:port with a port from 0 to 65535 (for example 127.0.0.1:8080), got \(listen)")
            throw ExitCode(2)
        }
        let config = try CommandSupport.loadConfig(config)
        let selected = try CommandSupport.workloadFilter(workload, in: config)
        let minutes = Int(lookBack.milliseconds / 60_000) + 1
        let feed = try TelemetryFeed(
            config: config, purpose: "dashboard", since: Date().addingTimeInterval(-lookBack.seconds), workload: selected, logger: logger)
        let board = DashboardBoard(feed: feed, lookBackMinutes: minutes, rebuildEvery: .milliseconds(Int64((refreshSeconds * 500).rounded())))
        let server = DashboardServer(
            host: address.host, port: address.port, page: DashboardPage.html, refresh: .milliseconds(Int64((refreshSeconds * 1000).rounded())),
            streamLifetime: .milliseconds(Int64((streamSeconds * 1000).rounded())),
            logger: logger
        ) { await board.snapshot() }
        let follower = TelemetryFollower(consumer: feed.consumer, board: board)
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(
                        service: follower, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                    .init(
                        service: server, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        print("understudy dashboard: \(config.kafka.topics.telemetry), the last \(since), on http://\(listen)/ (Ctrl-C stops)")
        do {
            try await group.run()
        } catch {
            CommandSupport.printError("dashboard: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `host:port` of a command-line flag.
struct HostPortArgument {
    var host: String
    var port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}

/// The dashboard's state: the feed's window, and the last snapshot built from it.
actor DashboardBoard {
    private var feed: TelemetryFeed
    private var window: FleetWindow
    private let lookBackMinutes: Int
    private let rebuildEvery: Duration
    private var cached: (json: [UInt8], at: ContinuousClock.Instant)?
    private var changed = true

    init(feed: TelemetryFeed, lookBackMinutes: Int, rebuildEvery: Duration) {
        self.feed = feed
        self.lookBackMinutes = lookBackMinutes
        self.rebuildEvery = rebuildEvery
        window = FleetWindow(maxMinutes: lookBackMinutes + 1)
        // The clock first: an event stamped far ahead cannot then move the window past the real ones.
        window.advance(to: Date())
    }

    func ingest(_ batch: [KafkaMessage]) {
        window.advance(to: Date())
        for message in batch { feed.ingest(message, into: &window) }
        if !batch.isEmpty { changed = true }
    }

    /// The current snapshot: rebuilt when something arrived (or a minute may have rolled) and the
    /// last one is older than `rebuildEvery`, so many browsers cost one build.
    func snapshot() -> [UInt8] {
        let now = ContinuousClock.now
        if let cached, !changed || now - cached.at < rebuildEvery, now - cached.at < .seconds(5) { return cached.json }
        let date = Date()
        window.advance(to: date)
        let json = DashboardSnapshot(window: window, until: date, lookBackMinutes: lookBackMinutes).json()
        cached = (json, now)
        changed = false
        return json
    }
}

/// Follows the telemetry and dead-letter topics into the board until shutdown.
struct TelemetryFollower: Service {
    let consumer: KafkaConsumer
    let board: DashboardBoard

    func run() async throws {
        let consumer = self.consumer
        let board = self.board
        await withGracefulShutdownHandler {
            var iterator = consumer.messages.makeAsyncIterator()
            while let batch = await iterator.nextBatch(max: 5_000) {
                await board.ingest(Array(batch))
            }
        } onGracefulShutdown: {
            consumer.stopDelivery()
        }
        await consumer.close(timeout: .seconds(5))
    }
}
