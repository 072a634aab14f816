import ArgumentParser
import Completions
import FleetView
import Foundation
import Jobs
import Kafka

/// `understudy report --config FILE [--since 1h] [--workload NAME] [--out DIR]`: what the fleet
/// did over a window, from the telemetry and dead-letter topics: per workload and route, jobs,
/// attempts, success share, failovers in and out, p50/p95 latency, cost, breaker trips and dead
/// letters. Printed as a table; with `--out`, also `report.json` and `timeline.svg` (attempts and
/// failovers per route per minute, breaker-open spans shaded): the picture on call wants.
///
/// It reads through its own consumer group from `--since` and commits nothing, until the topics
/// have been idle for `--idle-seconds`.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Summarize the fleet's telemetry: per workload and route, jobs, failovers, latency, cost, breaker trips."
    )

    @Option(name: .long, help: "The YAML config file.")
    var config: String

    /// The longest window: a week of minutes (each route series keeps one slot per minute).
    static let maxSince = Duration.seconds(7 * 86_400)

    @Option(name: .long, help: "How far back to read: 90s, 30m, 1h, 7d (at most 7d).")
    var since: String = "1h"

    @Option(name: .long, help: "Only this workload (and the breaker changes of its routes).")
    var workload: String?

    @Option(name: .long, help: "Also write report.json and timeline.svg into this directory.")
    var out: String?

    @Option(name: .long, help: "Stop after this many seconds without a new message (0.1 to 3600).")
    var idleSeconds: Double = 3

    func run() async throws {
        let logger = CommandSupport.bootstrapLogging(level: "warning")
        guard let window = CommandSupport.duration(since), window <= Self.maxSince else {
            CommandSupport.printError("--since: expected a whole number and a unit (90s, 30m, 1h, 7d) of at most 7d, got \(since)")
            throw ExitCode(2)
        }
        guard (0.1...3_600).contains(idleSeconds) else {
            CommandSupport.printError("--idle-seconds: expected 0.1 to 3600, got \(idleSeconds)")
            throw ExitCode(2)
        }
        let config = try CommandSupport.loadConfig(config)
        let selected = try CommandSupport.workloadFilter(workload, in: config)
        let until = Date()
        let cutoff = until.addingTimeInterval(-window.seconds)
        var fleet = FleetWindow(maxMinutes: Int(window.milliseconds / 60_000) + 2)
        // The clock first: an event stamped far ahead cannot then move the window past the real ones.
        fleet.advance(to: until)
        var feed = try TelemetryFeed(config: config, purpose: "report", since: cutoff, workload: selected, logger: logger)
        let scan = TopicScan(consumer: feed.consumer, idle: .milliseconds((idleSeconds * 1000).rounded()))
        while let batch = await scan.nextBatch(max: 5_000) {
            for message in batch { feed.ingest(message, into: &fleet) }
        }
        await feed.consumer.close()

        let summary = FleetSummary(window: fleet, since: cutoff, until: until)
        print("understudy report: \(RFC3339.string(from: cutoff)) to \(RFC3339.string(from: until))\(workload.map { ", workload \($0)" } ?? "")")
        print(
            "read \(feed.read) messages of \(config.kafka.topics.telemetry) and \(config.kafka.topics.deadLetter)"
                + (feed.unreadable > 0 ? " (\(feed.unreadable) not events of the contract, left out)" : ""))
        print(summary.text())
        if let out {
            let directory = URL(fileURLWithPath: out, isDirectory: true)
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                try Data(summary.json()).write(to: directory.appendingPathComponent("report.json"))
                try Data(FleetTimeline.svg(window: fleet, since: cutoff, until: until).utf8).write(
                    to: directory.appendingPathComponent("timeline.svg"))
            } catch {
                CommandSupport.printError("--out: cannot write into \(out): \(error.localizedDescription)")
                throw ExitCode(1)
            }
            print("wrote \(directory.appendingPathComponent("report.json").path) and \(directory.appendingPathComponent("timeline.svg").path)")
        }
    }
}
