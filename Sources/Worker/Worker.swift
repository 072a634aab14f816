import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import Tracing

#if canImport(Glibc)
    import Glibc
#endif

/// The understudy worker: consumes jobs, runs each through the failover engine, publishes its
/// result and telemetry, and commits the job's offset only once all of that is done.
///
/// Guarantees (at-least-once, the default): a job's offset is committed only after its result
/// and its telemetry were acknowledged by the broker, and per partition only the highest offset
/// below which every job finished, so a crash at any moment loses no job (it repeats at most
/// the jobs in flight and one commit interval's work). With `delivery: exactly_once`, results,
/// telemetry and offsets go in one Kafka transaction, held back per partition until the jobs
/// below them finished. Bad messages go to the dead-letter topic and never block a partition.
/// At most `worker.max_in_flight` jobs run at once; beyond that the consumer pauses its
/// partitions and keeps polling, so the worker stays in its group.
///
/// It is a `Service`: run it in a `ServiceGroup`, whose graceful shutdown (SIGTERM, SIGINT)
/// stops fetching, lets in-flight jobs finish within `worker.shutdown_grace_seconds`, commits,
/// flushes and returns.
package final class Worker: Service, Sendable {
    /// The state machine, with the continuations of those who wait on it, under one lock: an
    /// event's actions and the waiters they wake are decided together, so no wake-up is lost.
    private struct Shared: Sendable {
        var machine: WorkerStateMachine
        /// The consume loop, waiting for a job slot.
        var consumer: CheckedContinuation<Void, Never>?
        /// Revokes and the shutdown drain, waiting for their jobs.
        var waiters: [WorkerStateMachine.WaiterID: CheckedContinuation<Void, Never>] = [:]
        /// Waiters whose timeout passed before they got to wait.
        var expired: Set<WorkerStateMachine.WaiterID> = []
        /// The fatal error that stops the worker.
        var fatal: KafkaError?

        /// Turns `actions` into what to perform outside the lock.
        mutating func effects(of actions: [WorkerStateMachine.Action]) -> Effects {
            var effects = Effects()
            for action in actions {
                switch action {
                case .resumeConsumer:
                    if let consumer {
                        effects.resume.append(consumer)
                        self.consumer = nil
                    }
                case .wake(let ids):
                    for id in ids { if let waiter = waiters.removeValue(forKey: id) { effects.resume.append(waiter) } }
                case .stopDelivery:
                    effects.stopDelivery = true
                case .cancelJobs:
                    effects.cancelJobs = true
                }
            }
            return effects
        }
    }

    /// What an event asks of the driver, taken out of the lock.
    private struct Effects {
        var resume: [CheckedContinuation<Void, Never>] = []
        var stopDelivery = false
        var cancelJobs = false
    }

    private let config: UnderstudyConfig
    private let settings: WorkerKafkaSettings
    private let engine: FailoverEngine<ContinuousClock>
    private let backlog: TelemetryBacklog
    private let processor: JobProcessor
    /// Shadow calls for sampled live jobs; `nil` when no workload shadows.
    package let shadow: ShadowTraffic?
    /// Shared route health (`fleet.route_health`); `nil` when off or on test clients.
    let routeHealth: RouteHealthExchange?
    /// Where jobs of budgeted workloads pass; `nil` when no workload has a budget.
    let budget: BudgetGate?
    /// The fleet's spend, shared; `nil` without budgets or on test clients (the gate then knows
    /// only this worker's spend).
    private let spend: SpendExchange?
    /// Provider batches for jobs that can wait (`workloads.NAME.batch`); `nil` when no workload
    /// batches, or on test clients.
    let batchLane: BatchLane?
    /// Exactly-once: the batch lane's records, waiting for the next transaction.
    private let batchOutbox = BatchOutbox()
    private let logger: Logger
    private let clock: any Clock<Duration>
    private let shared: Mutex<Shared>
    private let kafka: WorkerKafka
    private let clients = Mutex<(consumer: (any JobConsumer)?, producer: (any ResultProducer)?)>((nil, nil))
    private let transactionLock = AsyncLock()
    /// Set to cancel every running job (grace expired, fatal error); read by the drain.
    private let cancelJobs = Atomic<Bool>(false)
    /// Counts for reports and tests: jobs finished, dead letters, results published.
    package let counters = WorkerCounters()
    /// What it reports to swift-metrics; `nil`: nothing.
    private let metrics: WorkerMetrics?
    /// For health: the clients started, the group joined, and the commit loop's last turn
    /// (nanoseconds since `healthOrigin`). Shutdown and failure are the state machine's phase.
    private let started = Atomic<Bool>(false)
    private let joined = Atomic<Bool>(false)
    private let lastCommitTurn = Atomic<Int64>(0)
    private let healthOrigin = ContinuousClock.now

    private var exactlyOnce: Bool { config.kafka.delivery == .exactlyOnce }

    /// Builds a worker over `providers` (keyed by the config's provider names). `clock` times
    /// commits, grace periods and revokes; `kafka` makes its clients (by default from the config).
    package init(
        config: UnderstudyConfig, providers: [String: any CompletionProvider], logger: Logger,
        clock: any Clock<Duration> = ContinuousClock(), kafka: WorkerKafka? = nil, metrics: WorkerMetrics? = nil,
        tracer: (any Tracer)? = nil
    ) {
        self.metrics = metrics
        self.config = config
        var statistics: (@Sendable (KafkaStatistics) -> Void)?
        if let metrics { statistics = { metrics.record($0) } }
        self.kafka = kafka ?? .kafka(config: config, logger: logger, statistics: statistics)
        self.settings = WorkerKafkaSettings(config: config)
        self.logger = logger
        self.clock = clock
        self.shared = Mutex(Shared(machine: WorkerStateMachine(configuration: Self.machineConfiguration(config))))
        let identity = "\(WorkerKafkaSettings(config: config).instanceID)-\(UUID().uuidString.prefix(8).lowercased())"
        let backlog = TelemetryBacklog(
            topic: config.kafka.topics.telemetry, metrics: metrics, logger: logger, providerKinds: providers.mapValues(\.kind),
            worker: identity)
        self.backlog = backlog
        let engine = FailoverEngine(providers: providers, configuration: config.engineConfiguration, sink: backlog)
        self.engine = engine
        if config.hasBudgets {
            let gate = BudgetGate(config: config, worker: identity) { backlog.enqueue($0) }
            budget = gate
            spend = kafka == nil ? SpendExchange(config: config, gate: gate, logger: logger) : nil
        } else {
            budget = nil
            spend = nil
        }
        // Shared route health needs the real clients; a worker built on test clients keeps its breakers to itself.
        if kafka == nil, config.routeHealth.enabled {
            let exchange = RouteHealthExchange(config: config, worker: identity, engine: engine, logger: logger)
            backlog.observeCircuits { exchange.localChange($0) }
            routeHealth = exchange
        } else {
            routeHealth = nil
        }
        let processor = JobProcessor(
            decoder: JobDecoder(config: config), engine: engine,
            providerKinds: providers.mapValues(\.kind), topics: config.kafka.topics,
            maxMessageBytes: config.worker.maxMessageBytes, logger: logger, shadow: nil, metrics: metrics,
            tracing: tracer.map { JobTracing(tracer: $0, providerKinds: providers.mapValues(\.kind)) }
        )
        let shadow = ShadowTraffic(
            plans: config.workloads.compactMapValues(\.shadow), providers: providers, configuration: config.engineConfiguration,
            live: engine, backlog: backlog, logger: logger, metrics: metrics)
        self.shadow = shadow
        var live = processor
        live.shadow = shadow
        self.processor = live
        if kafka == nil, config.hasBatches {
            batchLane = BatchLane(
                config: config, providers: providers, processor: live, backlog: backlog, settings: WorkerKafkaSettings(config: config),
                worker: identity, logger: logger, metrics: metrics, budget: budget)
        } else {
            batchLane = nil
        }
        // Live jobs come first: no shadow call starts while a fetched job waits for a slot.
        shadow?.setLiveSlotsShort { [weak self] in self?.shared.withLock { $0.consumer != nil } ?? true }
    }

    static func machineConfiguration(_ config: UnderstudyConfig) -> WorkerStateMachine.Configuration {
        let held = WorkerKafkaSettings.maxHeldBytes(config)
        return WorkerStateMachine.Configuration(
            maxInFlight: max(1, config.worker.maxInFlight), exactlyOnce: config.kafka.delivery == .exactlyOnce,
            maxHeldBytes: held, maxTransactionBytes: max(1, held / 4)
        )
    }

    package func run() async throws {
        OpenFileLimit.raise(logger: logger)
        try await kafka.prepareTopics()
        // A fatal error of either client (a fenced member or producer, a fatal idempotence
        // error) stops the worker whatever it is doing.
        let producer = try await kafka.makeProducer { [weak self] error in self?.fail(error) }
        let consumer: any JobConsumer
        do {
            consumer = try kafka.makeConsumer(RebalanceHandler(worker: self)) { [weak self] error in self?.fail(error) }
        } catch {
            await producer.close(timeout: .seconds(5))
            throw error
        }
        clients.withLock { $0 = (consumer, producer) }
        markCommitTurn()
        started.store(true, ordering: .releasing)
        var started: Logger.Metadata = [
            "understudy.version": "\(UnderstudyVersion.current)",
            KafkaLoggingKeys.groupID: "\(config.kafka.groupID)", "delivery": "\(config.kafka.delivery.rawValue)",
            "max_in_flight": "\(config.worker.maxInFlight)", "kafka.topic.jobs": "\(config.kafka.topics.jobs)",
            "understudy.workloads": "\(config.workloads.keys.sorted().joined(separator: ","))",
            "understudy.providers": "\(config.providers.keys.sorted().joined(separator: ","))",
            "understudy.status_server": "\(config.worker.httpListen?.description ?? "off")",
        ]
        // Static membership: the identity a restarted pod comes back under.
        if let instance = settings.staticMemberID {
            started["kafka.group.instance.id"] = "\(instance)"
        }
        logger.info("worker started", metadata: started)

        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.commitLoop(consumer: consumer, producer: producer) }
                if let shadow = self.shadow { group.addTask { await shadow.run() } }
                if let routeHealth = self.routeHealth { group.addTask { await routeHealth.run() } }
                if let spend = self.spend { group.addTask { await spend.run() } }
                if let budget = self.budget { group.addTask { await self.resumeDeferred(budget, consumer: consumer) } }
                if let lane = self.batchLane { group.addTask { await lane.run(writes: self.batchWrites(producer: producer)) } }
                // The fleet's word before the first job: a route another worker opened is
                // skipped from the start, and a window's spend is not spent twice (the job
                // consumer joins its group meanwhile).
                await self.routeHealth?.waitUntilCaughtUp(timeout: .seconds(10))
                await self.spend?.waitUntilCaughtUp(timeout: .seconds(10))
                await self.consume(consumer: consumer, producer: producer)
                self.shadow?.finish()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.logger.info("shutting down: no new jobs; finishing the ones in flight")
            self.apply { $0.shutdownRequested() }
        }
        var failure: (any Error)? = shared.withLock { $0.fatal }
        if failure == nil {
            // Bounded: with the brokers gone, a final commit must not hold the process past its grace.
            let outcome = await within(.seconds(10)) { () async -> (any Error)? in
                do {
                    try await self.commitFinished(consumer: consumer, producer: producer, synchronous: true)
                    return nil
                } catch {
                    return error
                }
            }
            switch outcome {
            case .none:
                logger.error("final commit did not finish within 10 s; the jobs after the last commit run again")
            case .some(.some(let error)):
                failure = error
                logger.error("final commit failed", metadata: ["error": "\(error)"])
            case .some(.none):
                break
            }
        }
        batchOutbox.close()
        await consumer.close(timeout: .seconds(15))
        await producer.close(timeout: .seconds(10))
        var stopped: Logger.Metadata = ["jobs": "\(counters.jobs)", "dead_letters": "\(counters.deadLetters)"]
        if let counts = shadow?.counts {
            stopped["shadow.sampled"] = "\(counts.sampled)"
            stopped["shadow.published"] = "\(counts.published)"
            stopped["shadow.skipped.breaker_open"] = "\(counts.skippedBreakerOpen)"
            stopped["shadow.skipped.live_busy"] = "\(counts.skippedLiveBusy)"
            stopped["shadow.skipped.max_in_flight"] = "\(counts.skippedFull)"
        }
        logger.info("worker stopped", metadata: stopped)
        if let failure = failure ?? shared.withLock({ $0.fatal }) { throw failure }
    }

    // MARK: Health and gauges

    private func markCommitTurn() {
        lastCommitTurn.store(healthOrigin.duration(to: .now).nanoseconds, ordering: .relaxed)
    }

    /// Raises a fatal error on the worker's producer through librdkafka's own test hook, so the
    /// whole fatal path (the client's callback, the probes, the exit status) can be drilled on the
    /// real binary (`understudy run --drill-fatal-error-after`). Does nothing before the worker
    /// started its clients.
    package func drillFatalError() {
        guard let producer = clients.withLock({ $0.producer }) as? KafkaProducer else { return }
        producer.raiseTestFatalError(.fenced, reason: "fatal error drill (--drill-fatal-error-after)")
    }

    /// Alive and ready, as a probe sees it (``WorkerHealth``).
    package var health: WorkerHealth {
        let (fatal, phase) = shared.withLock { ($0.fatal, $0.machine.phase) }
        if let fatal {
            return WorkerHealth(alive: false, ready: false, detail: "fatal Kafka error: \(fatal.description)")
        }
        let started = started.load(ordering: .acquiring)
        let joined = joined.load(ordering: .acquiring)
        var detail: [String] = []
        var alive = true
        if started {
            let since = healthOrigin.duration(to: .now).nanoseconds - lastCommitTurn.load(ordering: .relaxed)
            let limit = max(Duration.seconds(30), .milliseconds(max(1, config.worker.commitIntervalMs)) * 50).nanoseconds
            if since > limit {
                alive = false
                detail.append("the commit loop has not turned for \(since / 1_000_000) ms")
            }
        }
        if !started {
            detail.append("Kafka clients not started")
        } else if !joined {
            detail.append("consumer group not joined yet")
        }
        let stopping = phase != .running
        if stopping { detail.append("shutting down") }
        return WorkerHealth(alive: alive, ready: started && joined && !stopping, detail: detail.joined(separator: "; "))
    }

    /// Sets the gauges a scrape reads: readiness, jobs in flight and the limit, each configured
    /// route's breaker state, how many routes of each workload are not open, and each provider's
    /// current concurrency limit.
    package func refreshGauges() {
        guard let metrics else { return }
        metrics.inFlight(shared.withLock { $0.machine.inFlight }, limit: config.worker.maxInFlight)
        metrics.ready(health.ready)
        var states: [RouteKey: CircuitState] = [:]
        for workload in config.workloads.values {
            var available = 0
            for route in workload.routes {
                let state = states[route] ?? engine.circuitState(of: route)
                states[route] = state
                if state != .open { available += 1 }
            }
            metrics.routesAvailable(workload: workload.name, available)
        }
        for (route, state) in states { metrics.breakerState(route, state) }
        for provider in config.providers.keys {
            if let limit = engine.concurrencyLimit(of: provider) { metrics.concurrencyLimit(provider: provider, limit: limit) }
        }
        if let budget {
            let (windows, waiting) = budget.status(nowMs: Self.nowMs())
            for window in windows { metrics.budget(window) }
            for (workload, count) in waiting { metrics.budgetWaiting(workload: workload, count) }
        }
    }

    /// Milliseconds since the epoch, now.
    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

    // MARK: Events

    /// Runs one event of the state machine and performs its actions.
    private func apply(_ event: (inout WorkerStateMachine) -> [WorkerStateMachine.Action]) {
        let effects = shared.withLock { shared in shared.effects(of: event(&shared.machine)) }
        perform(effects)
    }

    private func perform(_ effects: Effects) {
        if effects.cancelJobs { cancelJobs.store(true, ordering: .releasing) }
        if effects.stopDelivery { clients.withLock { $0.consumer }?.stopDelivery() }
        for continuation in effects.resume { continuation.resume() }
    }

    /// A fatal Kafka error: the worker stops at once and exits non-zero; nothing more is committed.
    private func fail(_ error: KafkaError) {
        let first = shared.withLock { shared -> Bool in
            guard shared.fatal == nil else { return false }
            shared.fatal = error
            return true
        }
        guard first else { return }
        logger.critical("fatal Kafka error; the worker stops", metadata: ["error": "\(error)"])
        apply { $0.fatal(error.description) }
    }

    // MARK: Consuming

    private func consume(consumer: any JobConsumer, producer: any ResultProducer) async {
        await withDiscardingTaskGroup { jobs in
            while let batch = await consumer.nextBatch(max: 256) {
                // Jobs moved to the deferred topic, sent in the order they were read.
                var deferrals: [Deferred] = []
                // Each message carries the rebalance generation it was fetched under: a batch held
                // across a revoke and a new assignment belongs to the old one and is dropped.
                for message in batch {
                    // Deferrals hold job slots until they are sent: send them before waiting for one.
                    if !deferrals.isEmpty, shared.withLock({ $0.machine.inFlight >= max(1, config.worker.maxInFlight) }) {
                        await sendDeferrals(deferrals, producer: producer, jobs: &jobs)
                        deferrals.removeAll()
                    }
                    guard let ticket = await admit(message, generation: message.generation) else { continue }
                    // No budgets and no batches (the common case): straight to the engine.
                    guard budget != nil || batchLane != nil else {
                        jobs.addTask { await self.handle(message, ticket: ticket, producer: producer) }
                        continue
                    }
                    // With budgets or batches, the job is decoded here, once: its workload decides
                    // whether it passes the budget gate and whether it goes to a batch.
                    let decoded = processor.decode(message)
                    let now = Self.nowMs()
                    // A budgeted workload's job passes its gate first, whether it then runs
                    // realtime or goes to a batch: while a window is full, both wait.
                    var job = decoded
                    var reservation: BudgetGate.Reservation?
                    if let budget, let decoded, let step = budget.screen(decoded, message: message, nowMs: now) {
                        switch step {
                        case .run(let admitted, let reserved):
                            (job, reservation) = (admitted, reserved)
                        case .exhausted(let job, let reason):
                            let publication = processor.budgetExhausted(message, job: job, reason: reason)
                            jobs.addTask { await self.finish(publication, ticket: ticket, producer: producer) }
                            continue
                        case .deferral(let record, let pauseUntil):
                            if let pauseUntil {
                                consumer.pause([message.topicPartition])
                                budget.confirmPaused(message.topicPartition)
                                logger.info(
                                    "partition paused for its workload's budget",
                                    metadata: [
                                        KafkaLoggingKeys.topic: "\(message.topic)", KafkaLoggingKeys.partition: "\(message.partition)",
                                        "until_ms": "\(pauseUntil)", "understudy.workload": "\(decoded.workload)",
                                    ])
                            }
                            deferrals.append(Deferred(ticket: ticket, record: record, message: message, job: decoded, kind: .budget))
                            // Exactly-once: held at once, in order, so no later job's records wait on it.
                            if exactlyOnce {
                                await sendDeferrals(deferrals, producer: producer, jobs: &jobs)
                                deferrals.removeAll()
                            }
                            continue
                        }
                    }
                    if let lane = batchLane, let job, let entry = lane.entry(for: job, message: message, nowMs: now) {
                        // Its spend counts when its answer is published, perhaps hours from now:
                        // nothing stays reserved for it meanwhile.
                        if let reservation { budget?.settle(reservation, actualUSD: 0, atMs: now) }
                        deferrals.append(
                            Deferred(ticket: ticket, record: entry.record(topic: lane.topic), message: message, job: job, kind: .batch))
                        if exactlyOnce {
                            await sendDeferrals(deferrals, producer: producer, jobs: &jobs)
                            deferrals.removeAll()
                        }
                        continue
                    }
                    let (admitted, reserved) = (job, reservation)
                    jobs.addTask { await self.handle(message, ticket: ticket, producer: producer, job: admitted, reservation: reserved) }
                }
                if !deferrals.isEmpty { await sendDeferrals(deferrals, producer: producer, jobs: &jobs) }
            }
            // Delivery stopped (shutdown or a fatal error): let running jobs finish within the grace.
            let failed = shared.withLock { $0.fatal != nil }
            if !failed {
                let drained = await wait(for: .allIdle, upTo: .seconds(config.worker.shutdownGraceSeconds))
                if !drained && !cancelJobs.load(ordering: .acquiring) {
                    logger.warning("shutdown grace passed with jobs in flight; they are not committed and will run again")
                    apply { $0.graceExpired() }
                }
            }
            if cancelJobs.load(ordering: .acquiring) || shared.withLock({ $0.machine.inFlight > 0 }) {
                jobs.cancelAll()
            }
        }
    }

    /// Asks for a slot for `message`; waits (cancellably: shutdown ends the wait) while none is
    /// free. `nil` when the message is not to run.
    private func admit(_ message: KafkaMessage, generation: UInt64) async -> WorkerStateMachine.Ticket? {
        while true {
            let first = shared.withLock { $0.machine.fetched(message.topicPartition, offset: message.offset, generation: generation) }
            switch first {
            case .start(let ticket): return ticket
            case .drop: return nil
            case .wait: break
            }
            // Offer it again under the lock that stores the continuation, so a slot freed in
            // between is not missed.
            var admission = WorkerStateMachine.Admission.wait
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let waiting = shared.withLock { shared -> Bool in
                    admission = shared.machine.fetched(message.topicPartition, offset: message.offset, generation: generation)
                    guard admission == .wait else { return false }
                    shared.consumer = continuation
                    return true
                }
                if !waiting { continuation.resume() }
            }
            switch admission {
            case .start(let ticket): return ticket
            case .drop: return nil
            case .wait: continue
            }
        }
    }

    private func handle(
        _ message: KafkaMessage, ticket: WorkerStateMachine.Ticket, producer: any ResultProducer, job: Job? = nil,
        reservation: BudgetGate.Reservation? = nil
    ) async {
        let publication = await processor.process(message, decoded: job)
        if let reservation, let budget {
            // What the job spent replaces what was reserved for it (nothing, when it was cancelled).
            var spent = 0.0
            var at = Self.nowMs()
            if case .job(let result, _, _, _)? = publication {
                spent = result.costUSD
                at = Int64(result.completedAt.timeIntervalSince1970 * 1_000)
            }
            budget.settle(reservation, actualUSD: spent, atMs: at)
        }
        guard let publication else {
            apply { $0.jobAbandoned(ticket) }
            return
        }
        await finish(publication, ticket: ticket, producer: producer)
    }

    /// Publishes what a job led to and marks it finished (exactly-once: held for the transaction).
    private func finish(_ publication: Publication, ticket: WorkerStateMachine.Ticket, producer: any ResultProducer) async {
        if exactlyOnce {
            let held = WorkerStateMachine.Held(
                records: Publisher.records(for: publication, maxBytes: settings.producerMessageMaxBytes, logger: logger, metrics: metrics))
            apply { $0.jobFinished(ticket, held: held) }
            counters.count(publication)
            metrics?.count(publication)
            return
        }
        let published = await Publisher.publish(
            publication, producer: producer, maxBytes: settings.producerMessageMaxBytes, logger: logger, metrics: metrics)
        guard published else {
            apply { $0.jobAbandoned(ticket) }
            return
        }
        // Counted once the state machine knows: a count seen means the job is committable.
        apply { $0.jobFinished(ticket) }
        counters.count(publication)
        metrics?.count(publication)
    }

    // MARK: Budgets

    /// A job on its way to the deferred topic (waiting for its budget) or the batch-state topic
    /// (waiting for a provider batch).
    private struct Deferred {
        enum Kind { case budget, batch }
        var ticket: WorkerStateMachine.Ticket
        var record: KafkaRecord
        var message: KafkaMessage
        var job: Job
        var kind: Kind
    }

    /// Sends jobs moved to the deferred or batch-state topic, in the order they were read, and
    /// marks them finished once the broker has them (exactly-once: held for the transaction, in
    /// order). A job whose record the producer or the broker refuses as too large cannot wait:
    /// a budgeted one fails as `budget_exhausted` at once, with a result, never silently; a
    /// batch one runs realtime.
    private func sendDeferrals(_ deferrals: [Deferred], producer: any ResultProducer, jobs: inout DiscardingTaskGroup) async {
        let limit = settings.producerMessageMaxBytes
        var sendable: [Deferred] = []
        for deferred in deferrals {
            if deferred.record.byteCount > limit {
                cannotWait(deferred, producer: producer, jobs: &jobs)
            } else {
                sendable.append(deferred)
            }
        }
        if exactlyOnce {
            for deferred in sendable {
                apply { $0.jobFinished(deferred.ticket, held: WorkerStateMachine.Held(records: [deferred.record])) }
                countMoved(deferred)
            }
            return
        }
        // One send keeps their order; one that failed is retried on its own (rare: the producer
        // is idempotent and retries itself first).
        let results = await producer.send(sendable.map(\.record))
        for (deferred, result) in zip(sendable, results) {
            if case .failure(let error) = result {
                if error.code == .msgSizeTooLarge {
                    cannotWait(deferred, producer: producer, jobs: &jobs)
                    continue
                }
                let published = await Publisher.publish(
                    .deferred(deferred.record), producer: producer, maxBytes: limit, logger: logger, metrics: metrics)
                guard published else {
                    apply { $0.jobAbandoned(deferred.ticket) }
                    continue
                }
            }
            apply { $0.jobFinished(deferred.ticket) }
            countMoved(deferred)
        }
    }

    private func countMoved(_ deferred: Deferred) {
        switch deferred.kind {
        case .budget:
            counters.count(.deferred(deferred.record))
            metrics?.count(.deferred(deferred.record))
        case .batch:
            metrics?.batchJob(workload: deferred.job.workload, outcome: "entered")
        }
    }

    /// Fails a job that cannot wait in the deferred topic (its record is too large for it); runs
    /// realtime a batch job that cannot wait in the batch-state topic.
    private func cannotWait(_ deferred: Deferred, producer: any ResultProducer, jobs: inout DiscardingTaskGroup) {
        if deferred.kind == .batch {
            let (message, ticket, job) = (deferred.message, deferred.ticket, deferred.job)
            // Nothing stayed reserved for it; what it spends counts all the same.
            let reservation = budget?.unreserved(job.workload)
            jobs.addTask { await self.handle(message, ticket: ticket, producer: producer, job: job, reservation: reservation) }
            return
        }
        logger.warning(
            "a job over its workload's budget is too large to wait in the deferred topic; it fails",
            metadata: [KafkaLoggingKeys.topic: "\(deferred.message.topic)", "bytes": "\(deferred.record.byteCount)"])
        let publication = processor.budgetExhausted(
            deferred.message, job: deferred.job,
            reason: "workload \(deferred.job.workload) is over its budget, and the job is too large to wait in the deferred topic "
                + "(\(deferred.record.byteCount) bytes with its deferral headers)")
        let ticket = deferred.ticket
        jobs.addTask { await self.finish(publication, ticket: ticket, producer: producer) }
    }

    /// Resumes paused partitions (deferred, or a workload's own) when their wait ends, until cancelled.
    private func resumeDeferred(_ budget: BudgetGate, consumer: any JobConsumer) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(100))
            let due = budget.partitionsToResume(nowMs: Self.nowMs())
            if !due.isEmpty { consumer.resume(due) }
        }
    }

    /// Waits until `condition` holds, or `limit` passed (false), or the worker failed.
    private func wait(for condition: WorkerStateMachine.Condition, upTo limit: Duration) async -> Bool {
        let id = shared.withLock { shared -> WorkerStateMachine.WaiterID? in
            shared.machine.wait(for: condition)
        }
        guard let id else { return true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let waiting = self.shared.withLock { shared -> Bool in
                        if shared.expired.remove(id) != nil || !shared.machine.isWaiting(id) { return false }
                        shared.waiters[id] = continuation
                        return true
                    }
                    if !waiting { continuation.resume() }
                }
            }
            group.addTask {
                guard (try? await self.clock.sleep(for: limit)) != nil else { return }
                let waiter = self.shared.withLock { shared -> CheckedContinuation<Void, Never>? in
                    guard shared.machine.cancelWait(id) else { return nil }
                    guard let waiter = shared.waiters.removeValue(forKey: id) else {
                        shared.expired.insert(id)
                        return nil
                    }
                    return waiter
                }
                waiter?.resume()
            }
            await group.next()
            group.cancelAll()
        }
        return shared.withLock { shared in shared.fatal == nil && shared.machine.holds(condition) }
    }

    /// Runs `body`, giving up on it after `limit` (it is cancelled): its value, or `nil` when
    /// the limit passed first.
    private func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
        await withTaskGroup(of: T?.self) { group in
            group.addTask { await body() }
            group.addTask {
                try? await self.clock.sleep(for: limit)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    // MARK: Batches

    /// How the batch lane's records reach Kafka: acknowledged through the worker's producer
    /// (at-least-once), or in its next transaction (exactly-once).
    private func batchWrites(producer: any ResultProducer) -> BatchLane.Writes {
        let maxBytes = settings.producerMessageMaxBytes
        if exactlyOnce {
            return BatchLane.Writes(
                write: { [batchOutbox] records in await batchOutbox.write(records) },
                fail: { [weak self] reason in self?.fail(KafkaError(code: .state, message: reason, isFatal: true)) },
                publish: { [batchOutbox, logger, metrics, counters] publication, after in
                    let records = Publisher.records(for: publication, maxBytes: maxBytes, logger: logger, metrics: metrics)
                    guard await batchOutbox.write(records + after) else { return .nothing }
                    counters.count(publication)
                    metrics?.count(publication)
                    return .all
                })
        }
        return BatchLane.Writes(
            write: { [logger] records in await Self.send(records, producer: producer, logger: logger) },
            fail: { [weak self] reason in self?.fail(KafkaError(code: .state, message: reason, isFatal: true)) },
            publish: { [logger, metrics, counters] publication, after in
                guard await Publisher.publish(publication, producer: producer, maxBytes: maxBytes, logger: logger, metrics: metrics) else {
                    return .nothing
                }
                counters.count(publication)
                metrics?.count(publication)
                return await Self.send(after, producer: producer, logger: logger) ? .all : .resultOnly
            })
    }

    /// Sends `records`, retrying a failed one a few times; true when all were acknowledged.
    private static func send(_ records: [KafkaRecord], producer: any ResultProducer, logger: Logger) async -> Bool {
        var pending = records
        for attempt in 0..<5 where !pending.isEmpty {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(100 << attempt)) }
            let results = await producer.send(pending)
            var failed: [KafkaRecord] = []
            for (record, result) in zip(pending, results) {
                if case .failure(let error) = result {
                    logger.warning("batch-state record not delivered", metadata: ["error": "\(error)"])
                    failed.append(record)
                }
            }
            pending = failed
        }
        return pending.isEmpty
    }

    // MARK: Committing

    private func commitLoop(consumer: any JobConsumer, producer: any ResultProducer) async {
        let interval = Duration.milliseconds(max(1, config.worker.commitIntervalMs))
        while !Task.isCancelled {
            try? await clock.sleep(for: interval)
            markCommitTurn()
            if shared.withLock({ $0.fatal != nil }) { return }
            do {
                let start = ContinuousClock.now
                try await commitFinished(consumer: consumer, producer: producer, synchronous: false)
                metrics?.commitPass(start.duration(to: .now))
            } catch let error as KafkaError where error.isFatal {
                // A fenced or otherwise dead client: stop taking jobs and exit non-zero, so the
                // orchestrator restarts the worker with fresh clients; nothing unfinished is committed.
                fail(error)
                return
            } catch {
                logger.error("commit failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Commits the offsets below which every job finished (and, exactly-once, publishes what they
    /// held in the same transaction). `partitions` limits it to some partitions (a revoke).
    private func commitFinished(
        consumer: any JobConsumer, producer: any ResultProducer, synchronous: Bool, partitions: Set<KafkaTopicPartition>? = nil
    ) async throws {
        if exactlyOnce {
            try await transactionLock.withLock {
                // Taken only while few wait, so aborted transactions never pile them up unbounded.
                let waiting = shared.withLock { $0.machine.unattachedWaiting }
                // The batch lane's records within half a transaction's bytes (the rest go in the
                // next), so the jobs' own offsets and results always have room beside them.
                let unattached =
                    waiting < TelemetryBacklog.maxRecords
                    ? backlog.drain() + batchOutbox.drain(maxBytes: Self.machineConfiguration(config).maxTransactionBytes / 2) : []
                guard let commit = shared.withLock({ $0.machine.commit(only: partitions, unattached: unattached) }),
                    case .transaction(let transaction) = commit
                else { return }
                try await perform(transaction, consumer: consumer, producer: producer)
                batchOutbox.committed()
            }
            return
        }
        // Not on a revoke: with a broker frozen, waiting for their delivery would hold the
        // rebalance past its timeout. The next tick sends them.
        let unattached = partitions == nil ? backlog.drain() : []
        if !unattached.isEmpty {
            for result in await producer.send(unattached) {
                if case .failure(let error) = result { logger.warning("telemetry event not published", metadata: ["error": "\(error)"]) }
            }
        }
        if case .offsets(let offsets) = shared.withLock({ $0.machine.commit(only: partitions) }) {
            try consumer.store(offsets)
            if !synchronous { consumer.commitInBackground() }
        }
        if synchronous {
            try await consumer.commit(timeout: .seconds(30))
        }
    }

    /// One transaction: held results and telemetry of finished jobs, with their offsets.
    ///
    /// A retriable failure of the commit itself (a timeout) retries the commit, never an abort
    /// and a resend: the records may already be committed. An error that requires an abort
    /// aborts; what the transaction carried stays held for the next one.
    private func perform(_ transaction: WorkerStateMachine.Transaction, consumer: any JobConsumer, producer: any ResultProducer) async throws {
        do {
            try producer.beginTransaction()
            for result in await producer.send(transaction.records) {
                if case .failure(let error) = result { throw error }
            }
            if !transaction.offsets.isEmpty {
                guard let group = consumer.groupMetadata() else {
                    throw KafkaError(code: .state, message: "consumer is closed: no group metadata for the transaction")
                }
                try await producer.sendOffsetsToTransaction(transaction.offsets, group: group, timeout: .seconds(30))
            }
            try await commitRetrying(producer: producer)
            apply { $0.transactionCommitted(transaction) }
        } catch let error as KafkaError where !error.isFatal {
            logger.warning("transaction aborted; its records and offsets go into the next one", metadata: ["error": "\(error)"])
            try? await producer.abortTransaction(timeout: .seconds(30))
            shared.withLock { $0.machine.transactionAborted() }
            throw error
        } catch {
            shared.withLock { $0.machine.transactionAborted() }
            throw error
        }
    }

    /// Commits the open transaction; a retriable failure (a timeout) retries the commit itself,
    /// a few times, since the records may already be committed.
    private func commitRetrying(producer: any ResultProducer) async throws(KafkaError) {
        var tries = 0
        while true {
            let failure: KafkaError?
            do {
                try await producer.commitTransaction(timeout: .seconds(60))
                failure = nil
            } catch {
                failure = error
            }
            guard let failure else { return }
            guard failure.isRetriable, !failure.requiresAbort, !failure.isFatal, tries < 5 else { throw failure }
            tries += 1
            logger.warning("transaction commit is retried", metadata: ["error": "\(failure)"])
        }
    }

    // MARK: Rebalance

    fileprivate func assigned(_ partitions: [KafkaTopicPartition], generation: UInt64) {
        joined.store(true, ordering: .releasing)
        batchLane?.assign(partitions.filter { $0.topic == config.kafka.topics.jobs }.map(\.partition))
        apply { $0.assigned(partitions, generation: generation) }
    }

    fileprivate func revoked(_ partitions: [KafkaTopicPartition], lost: Bool) async {
        let revoked = Set(partitions)
        budget?.forget(Set(partitions.map(\.partition)))
        let batchPartitions = partitions.filter { $0.topic == config.kafka.topics.jobs }.map(\.partition)
        batchLane?.revoke(batchPartitions)
        let (generations, effects) = shared.withLock { shared in
            let (generations, actions) = shared.machine.revoking(partitions, lost: lost)
            return (generations, shared.effects(of: actions))
        }
        perform(effects)
        if !lost {
            let grace = Duration.milliseconds(config.worker.revokeGraceMs)
            // The batch lane's publishes under way end meanwhile (exactly-once, they commit
            // with the transactions of the commit loop), so the next owner reads their tombstones.
            async let laneQuiet = batchLane?.quiesce(batchPartitions, upTo: grace) ?? true
            let finished = await wait(for: .partitionsIdle(revoked), upTo: grace)
            if !finished { logger.warning("revoke grace passed with jobs in flight; the new owner redoes them") }
            if await !laneQuiet { logger.warning("revoke grace passed with batch results being published; the new owner may publish them again") }
            let (consumer, producer) = clients.withLock { $0 }
            if let consumer, let producer {
                do {
                    try await commitFinished(consumer: consumer, producer: producer, synchronous: false, partitions: revoked)
                } catch let error as KafkaError where error.isFatal {
                    fail(error)
                } catch {
                    logger.warning("commit on revoke failed", metadata: ["error": "\(error)"])
                }
            }
        }
        apply { $0.revoked(generations) }
    }

    /// Hears the consumer's rebalances on the worker's behalf.
    private struct RebalanceHandler: KafkaRebalanceListener {
        let worker: Worker

        func partitionsAssigned(_ partitions: [KafkaTopicPartition], generation: UInt64) async {
            worker.assigned(partitions, generation: generation)
        }

        func partitionsRevoked(_ partitions: [KafkaTopicPartition], lost: Bool, generation: UInt64) async {
            await worker.revoked(partitions, lost: lost)
        }
    }
}

/// A start-up failure of the worker, with the config key path in its message.
package struct WorkerError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
