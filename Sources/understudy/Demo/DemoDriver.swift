import Foundation
import Jobs
import Kafka
import Logging
import ServiceLifecycle
import Simulator
import Synchronization
import Worker

/// Runs the demo inside the command's service group, next to the two simulators: builds the
/// config, starts the worker (in a group of its own, so the demo can stop it gracefully when the
/// last result is in), enqueues the jobs as a steady stream over the traffic window, plays the
/// ``OutageScenario`` on the primary, draws progress, and leaves its ``DemoReport`` in ``report``.
/// A graceful shutdown of the outer group (SIGINT, SIGTERM) stops enqueueing and drains.
final class DemoDriver: Service, Sendable {
    /// The command-line knobs.
    struct Options: Sendable {
        var jobs: Int
        /// The traffic window: jobs arrive evenly over it, and the outage plays out in it.
        var window: Duration
    }

    private let options: Options
    private let cluster: KafkaMockCluster
    private let primary: ProviderSimulator
    private let backup: ProviderSimulator
    private let logger: Logger
    private let outcome = Mutex<DemoReport?>(nil)
    private let interrupted = Atomic(false)
    private let workerEnded = Atomic(false)

    /// The report, once ``run()`` returned.
    var report: DemoReport? { outcome.withLock { $0 } }

    init(options: Options, cluster: KafkaMockCluster, primary: ProviderSimulator, backup: ProviderSimulator, logger: Logger) {
        self.options = options
        self.cluster = cluster
        self.primary = primary
        self.backup = backup
        self.logger = logger
    }

    func run() async throws {
        let started = ContinuousClock.now
        let demo = try DemoConfig(
            bootstrapServers: cluster.bootstrapServers,
            primaryURL: try await primary.baseURL(),
            backupURL: try await backup.baseURL() + "/anthropic"
        )
        let config = demo.config
        let records = try DemoJobs.records(count: options.jobs, config: config)
        let catalog = try ProviderCatalog(config: config, environment: demo.environment, logger: logger)
        let worker = Worker(config: config, providers: catalog.providers, logger: logger)
        let workerGroup = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup)
                ],
                logger: logger
            )
        )
        let monitor = try DemoMonitor(
            bootstrapServers: cluster.bootstrapServers, results: config.kafka.topics.results,
            telemetry: config.kafka.topics.telemetry, logger: logger
        )
        let producer = try KafkaProducer(configuration: WorkerKafkaSettings(config: config).producerForEnqueue, logger: logger)

        var failure: (any Error)?
        var result: (enqueued: [String], timeline: [(at: Duration, text: String)]) = ([], [])
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await monitor.run() }
            do {
                try await withThrowingTaskGroup(of: Void.self) { workerTasks in
                    workerTasks.addTask {
                        defer { self.workerEnded.store(true, ordering: .relaxed) }
                        try await workerGroup.run()
                    }
                    result = await withGracefulShutdownHandler {
                        await self.drive(records: records, producer: producer, monitor: monitor)
                    } onGracefulShutdown: {
                        self.interrupted.store(true, ordering: .relaxed)
                    }
                    await producer.close(timeout: .seconds(10))
                    await workerGroup.triggerGracefulShutdown()
                    try await workerTasks.waitForAll()
                }
            } catch {
                failure = error
            }
            // Late results and duplicates (a redelivered job) still arrive after the worker stopped.
            await monitor.waitUntilQuiet(idle: .seconds(1), timeout: .seconds(15))
            await monitor.close()
        }
        await catalog.shutdown()
        if let failure { throw DemoError("the worker failed: \(failure)") }
        outcome.withLock {
            $0 = DemoReport(
                jobIDs: result.enqueued, tally: monitor.tally, timeline: result.timeline,
                wallTime: .now - started, interrupted: interrupted.load(ordering: .relaxed)
            )
        }
    }

    /// Enqueues, plays the outage and draws progress until every enqueued job has a result (or
    /// the worker ended, the demo was interrupted, or it ran far past its window). Returns the
    /// ids enqueued and the outage timeline.
    private func drive(
        records: [KafkaRecord], producer: KafkaProducer, monitor: DemoMonitor
    ) async -> (enqueued: [String], timeline: [(at: Duration, text: String)]) {
        let scenario = OutageScenario()
        var progress = ProgressBar()
        var timeline: [(at: Duration, text: String)] = []
        var enqueued: [String] = []
        var next = 0
        var phase = -1
        // The first job goes in alone; the traffic window starts with its result, once the worker
        // has joined its group (a few seconds on the mock cluster), so the outage hits a running
        // pipeline whatever the join took.
        var start = ContinuousClock.now
        if let first = records.first, case .success = await producer.send([first]).first {
            enqueued.append(String(decoding: first.key ?? [], as: UTF8.self))
            next = 1
            progress.announce(
                "  waiting for the worker to join its consumer group...",
                status: .init(
                    done: 0, total: records.count, enqueued: 1, backup: 0, failovers: 0, primary: "healthy", breaker: "closed", elapsed: .zero))
            let joinDeadline = ContinuousClock.now + .seconds(30)
            while monitor.tally.results.isEmpty && ContinuousClock.now < joinDeadline && !workerEnded.load(ordering: .relaxed)
                && !interrupted.load(ordering: .relaxed)
            {
                try? await Task.sleep(for: .milliseconds(50))
            }
            let joined = ContinuousClock.now - start
            start = .now
            timeline.append((.zero, "worker joined its group and answered the first job in \(DemoReport.seconds(joined)); traffic starts"))
        }
        let giveUp = start + options.window + .seconds(90)
        let windowSeconds = Self.seconds(options.window)

        while true {
            let elapsed = ContinuousClock.now - start
            let fraction = Self.seconds(elapsed) / windowSeconds

            let due = interrupted.load(ordering: .relaxed) ? next : min(records.count, Int(fraction * Double(records.count)) + 1)
            if due > next {
                let chunk = Array(records[next..<due])
                for (record, sent) in zip(chunk, await producer.send(chunk)) {
                    switch sent {
                    case .success: enqueued.append(String(decoding: record.key ?? [], as: UTF8.self))
                    case .failure(let error): logger.error("job not enqueued", metadata: ["error": "\(error)"])
                    }
                }
                next = due
            }

            let tally = monitor.tally
            var status = ProgressBar.Status(
                done: tally.results.count, total: records.count, enqueued: enqueued.count, backup: tally.servedByBackup,
                failovers: tally.failovers, primary: "", breaker: tally.breakerStates[DemoConfig.primaryRoute] ?? "closed",
                elapsed: elapsed
            )
            let current = scenario.phaseIndex(at: fraction)
            if current != phase {
                phase = current
                primary.setMode(scenario.phases[current].mode)
                timeline.append((elapsed, scenario.phases[current].announcement))
                status.primary = scenario.phases[current].label
                progress.announce(
                    "  " + DemoReport.seconds(elapsed).padding(toLength: 8, withPad: " ", startingAt: 0) + scenario.phases[current].announcement,
                    status: status
                )
            }
            status.primary = scenario.phases[phase].label
            progress.draw(status)

            if next >= records.count && enqueued.allSatisfy({ tally.results[$0] != nil }) { break }
            if interrupted.load(ordering: .relaxed) && enqueued.allSatisfy({ tally.results[$0] != nil }) { break }
            if workerEnded.load(ordering: .relaxed) || ContinuousClock.now > giveUp { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        progress.finish()
        return (enqueued, timeline)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
