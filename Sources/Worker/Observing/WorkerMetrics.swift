import Completions
import CoreMetrics
import Failover
import Jobs
import Kafka
import Synchronization

/// What the worker reports to swift-metrics (exported by the status server in Prometheus text):
/// Prometheus-style names with units, and labels only from a bounded set (workload, provider,
/// model, route, outcome, class, status, state), all of which come from the config or from the
/// contract's closed lists, never from a job (no job id, no text).
///
/// Counters and histograms are recorded as jobs finish; gauges (jobs in flight, breaker state,
/// concurrency limits) are set when the status server is scraped (``Worker/refreshGauges()``).
/// Metric objects are made once per label set and kept; with labels bounded by the config, so is
/// that cache.
package final class WorkerMetrics: Sendable {
    /// The metric names, in one place (the README and the dashboard use them).
    package enum Name {
        package static let jobs = "understudy_jobs_total"
        package static let jobDuration = "understudy_job_duration_seconds"
        package static let queueTime = "understudy_job_queue_seconds"
        package static let deadLetters = "understudy_dead_letters_total"
        package static let resultsTooLarge = "understudy_results_too_large_total"
        package static let attempts = "understudy_attempts_total"
        package static let attemptDuration = "understudy_attempt_duration_seconds"
        package static let failovers = "understudy_failovers_total"
        package static let hedges = "understudy_hedges_total"
        package static let hedgesWon = "understudy_hedges_won_total"
        package static let tokens = "understudy_tokens_total"
        package static let cost = "understudy_cost_usd_total"
        package static let cacheTokens = "understudy_prompt_cache_tokens_total"
        package static let inFlight = "understudy_jobs_in_flight"
        package static let inFlightLimit = "understudy_jobs_in_flight_limit"
        package static let concurrencyLimit = "understudy_provider_concurrency_limit"
        package static let breakerState = "understudy_breaker_state"
        package static let breakerTransitions = "understudy_breaker_transitions_total"
        package static let shadowCalls = "understudy_shadow_calls_total"
        package static let consumerLag = "understudy_consumer_lag_messages"
        package static let producerQueue = "understudy_producer_queue_messages"
        package static let commitDuration = "understudy_commit_duration_seconds"
        package static let deliveryErrors = "understudy_delivery_errors_total"
        package static let retriesRefused = "understudy_retries_refused_total"
        package static let ready = "understudy_ready"
        package static let routesAvailable = "understudy_workload_routes_available"
        package static let budgetSpent = "understudy_budget_spent_usd"
        package static let budgetCap = "understudy_budget_cap_usd"
        package static let budgetReserved = "understudy_budget_reserved_usd"
        package static let budgetWaiting = "understudy_budget_jobs_waiting"
        package static let budgetDeferrals = "understudy_budget_deferrals_total"
        package static let batchJobs = "understudy_batch_jobs_total"
        package static let batchesOpen = "understudy_batches_open"

        /// Every name above.
        package static let all = [
            jobs, jobDuration, queueTime, deadLetters, resultsTooLarge, attempts, attemptDuration, failovers, hedges, hedgesWon, tokens,
            cost, inFlight, inFlightLimit, concurrencyLimit, breakerState, breakerTransitions, shadowCalls,
            consumerLag, producerQueue, commitDuration, deliveryErrors, ready, routesAvailable,
            retriesRefused, budgetSpent, budgetCap, budgetReserved, budgetWaiting, budgetDeferrals, batchJobs, batchesOpen,
        ]
    }

    private struct Key: Hashable {
        var label: String
        var dimensions: [String]

        init(_ label: String, _ dimensions: [(String, String)]) {
            self.label = label
            self.dimensions = dimensions.flatMap { [$0.0, $0.1] }
        }
    }

    private struct Handles {
        var counters: [Key: Counter] = [:]
        var floatingCounters: [Key: FloatingPointCounter] = [:]
        var timers: [Key: CoreMetrics.Timer] = [:]
        var gauges: [Key: Gauge] = [:]
    }

    private let factory: any MetricsFactory
    private let handles = Mutex(Handles())
    /// The partitions the last consumer statistics reported, so a partition that left is zeroed.
    private let lagPartitions = Mutex<Set<KafkaTopicPartition>>([])

    /// Metrics made by `factory` (by default the process's, bootstrapped by the command line).
    package init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    // MARK: Recording

    /// A message's publication was acknowledged: a job's result, or a dead letter.
    func count(_ publication: Publication) {
        switch publication {
        case .deadLetter(let record):
            let code = record.headers.last { $0.name == DeadLetter.Header.errorClass }?.value.map { String(decoding: $0, as: UTF8.self) }
            counter(Name.deadLetters, [("class", code ?? "unknown")]).increment()
        case .deferred:
            counter(Name.budgetDeferrals, []).increment()
        case .job(let result, _, _, _):
            jobFinished(result)
        }
    }

    /// A job got its result.
    func jobFinished(_ result: JobResult) {
        let status = result.failure == nil ? "succeeded" : "failed"
        counter(Name.jobs, [("workload", result.workload), ("status", status)]).increment()
        timer(Name.jobDuration, [("workload", result.workload), ("status", status)])
            .recordMilliseconds(max(0, result.latencyMs))
        if let queueMs = result.queueMs {
            timer(Name.queueTime, [("workload", result.workload)]).recordMilliseconds(max(0, queueMs))
        }
    }

    /// A job's attempts: each call and skip, the failovers between routes, hedges, tokens and cost.
    func attempts(_ events: [AttemptEvent], workload: String) {
        for (index, event) in events.enumerated() {
            let route = [("provider", event.provider), ("model", event.model)]
            counter(Name.attempts, route + [("outcome", event.outcome.rawValue)]).increment()
            if event.outcome != .circuitOpen {
                timer(Name.attemptDuration, route + [("outcome", event.outcome.rawValue)]).recordNanoseconds(event.latency.nanoseconds)
            }
            if event.decision == .failOver, index + 1 < events.count {
                let next = events[index + 1]
                if next.provider != event.provider || next.model != event.model {
                    counter(
                        Name.failovers,
                        [("workload", workload), ("from_route", "\(event.provider)/\(event.model)"), ("to_route", "\(next.provider)/\(next.model)")]
                    ).increment()
                }
            }
            if event.decision == .hedge {
                // The race's loser carries the hedge decision: the hedge won when the loser was the earlier call.
                counter(Name.hedges, [("workload", workload)]).increment()
                if events.contains(where: { $0.outcome == .ok && $0.attempt > event.attempt }) {
                    counter(Name.hedgesWon, [("workload", workload)]).increment()
                }
            }
            if let usage = event.usage {
                let labels = [("workload", workload)] + route
                counter(Name.tokens, labels + [("direction", "input")]).increment(by: Int64(max(0, usage.inputTokens)))
                counter(Name.tokens, labels + [("direction", "output")]).increment(by: Int64(max(0, usage.outputTokens)))
                if usage.cacheReadTokens > 0 || usage.cacheWriteTokens > 0 {
                    counter(Name.cacheTokens, labels + [("kind", "read")]).increment(by: Int64(usage.cacheReadTokens))
                    counter(Name.cacheTokens, labels + [("kind", "write")]).increment(by: Int64(usage.cacheWriteTokens))
                }
            }
            if event.costUSD > 0, event.costUSD.isFinite {
                floatingCounter(Name.cost, [("workload", workload)] + route).increment(by: event.costUSD)
            }
        }
    }

    /// A job of the batch lane moved on: `entered` (recorded for a batch), `submitted`,
    /// `served_batch`, `served_realtime` (failed over), or `late_duplicate` (a batch answer for a
    /// job already served elsewhere, dropped).
    func batchJob(workload: String, outcome: String, count: Int = 1) {
        counter(Name.batchJobs, [("workload", workload), ("outcome", outcome)]).increment(by: Int64(max(0, count)))
    }

    /// Provider batches this worker owns and polls.
    func batchesOpen(_ count: Int) {
        gauge(Name.batchesOpen, []).record(count)
    }

    /// A job's result was too large to publish and became a `result_too_large` failure.
    func resultTooLarge(workload: String) {
        counter(Name.resultsTooLarge, [("workload", workload)]).increment()
    }

    /// A route's breaker changed state.
    func breakerChanged(_ route: RouteKey, to state: CircuitState) {
        counter(Name.breakerTransitions, [("provider", route.provider), ("model", route.model), ("state", state.rawValue)]).increment()
        gauge(Name.breakerState, [("provider", route.provider), ("model", route.model)]).record(Self.level(state))
    }

    /// The retry budget refused a retry a job of `workload` wanted.
    func retryRefused(workload: String) {
        counter(Name.retriesRefused, [("workload", workload)]).increment()
    }

    /// A shadow call ended (`published`) or was not made (`skipped_*`).
    func shadowCall(workload: String, route: RouteKey, result: String) {
        counter(Name.shadowCalls, [("workload", workload), ("provider", route.provider), ("model", route.model), ("result", result)])
            .increment()
    }

    /// One pass of the commit loop (storing offsets or a transaction) took `duration`.
    func commitPass(_ duration: Duration) {
        timer(Name.commitDuration, []).recordNanoseconds(duration.nanoseconds)
    }

    /// A record was refused or not acknowledged and is sent again.
    func deliveryError(topic: String) {
        counter(Name.deliveryErrors, [("topic", topic)]).increment()
    }

    /// A librdkafka statistics report: a consumer's lag per partition, a producer's queue depth.
    func record(_ statistics: KafkaStatistics) {
        guard statistics.clientName.contains("consumer") else {
            gauge(Name.producerQueue, []).record(statistics.queuedMessages)
            return
        }
        // The lag behind the stored offset is known before a new group's first commit.
        var lag = statistics.consumerLagStored
        for (partition, value) in statistics.consumerLag where (lag[partition] ?? -1) < 0 { lag[partition] = value }
        let gone = lagPartitions.withLock { known in
            defer { known = Set(lag.keys) }
            return known.subtracting(lag.keys)
        }
        for partition in gone { gauge(Name.consumerLag, Self.labels(partition)).record(0) }
        for (partition, value) in lag where value >= 0 { gauge(Name.consumerLag, Self.labels(partition)).record(value) }
    }

    private static func labels(_ partition: KafkaTopicPartition) -> [(String, String)] {
        [("topic", partition.topic), ("partition", "\(partition.partition)")]
    }

    // MARK: Gauges, set at scrape time

    func inFlight(_ count: Int, limit: Int) {
        gauge(Name.inFlight, []).record(count)
        gauge(Name.inFlightLimit, []).record(limit)
    }

    func breakerState(_ route: RouteKey, _ state: CircuitState) {
        gauge(Name.breakerState, [("provider", route.provider), ("model", route.model)]).record(Self.level(state))
    }

    func ready(_ ready: Bool) {
        gauge(Name.ready, []).record(ready ? 1 : 0)
    }

    /// How many of a workload's routes are not open (0: every route of it is open).
    func routesAvailable(workload: String, _ count: Int) {
        gauge(Name.routesAvailable, [("workload", workload)]).record(count)
    }

    /// The fleet's spend on a budgeted workload in the current window, its cap, and the live
    /// reservations, as this worker knows them.
    func budget(_ window: SpendLedger.WindowStatus) {
        let labels = [("workload", window.workload), ("window", window.window)]
        gauge(Name.budgetSpent, labels).record(window.spentUSD)
        gauge(Name.budgetCap, labels).record(window.capUSD)
        gauge(Name.budgetReserved, [("workload", window.workload)]).record(window.reservedUSD)
    }

    /// Jobs of a budgeted workload waiting in the deferred topic, as the fleet last said.
    func budgetWaiting(workload: String, _ count: Int) {
        gauge(Name.budgetWaiting, [("workload", workload)]).record(count)
    }

    func concurrencyLimit(provider: String, limit: Int) {
        gauge(Name.concurrencyLimit, [("provider", provider)]).record(limit)
    }

    /// The breaker gauge's value: 0 closed, 1 half-open, 2 open.
    static func level(_ state: CircuitState) -> Int {
        switch state {
        case .closed: 0
        case .halfOpen: 1
        case .open: 2
        }
    }

    // MARK: Handles

    private func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        handle(\.counters, label, dimensions) { Counter(label: label, dimensions: dimensions, factory: factory) }
    }

    private func floatingCounter(_ label: String, _ dimensions: [(String, String)]) -> FloatingPointCounter {
        handle(\.floatingCounters, label, dimensions) { FloatingPointCounter(label: label, dimensions: dimensions, factory: factory) }
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> CoreMetrics.Timer {
        handle(\.timers, label, dimensions) { CoreMetrics.Timer(label: label, dimensions: dimensions, factory: factory) }
    }

    private func gauge(_ label: String, _ dimensions: [(String, String)]) -> Gauge {
        handle(\.gauges, label, dimensions) { Gauge(label: label, dimensions: dimensions, factory: factory) }
    }

    /// The metric object of `label` and `dimensions` kept at `store`, made by `make` the first time.
    private func handle<Metric: Sendable>(
        _ store: WritableKeyPath<Handles, [Key: Metric]>, _ label: String, _ dimensions: [(String, String)], make: () -> Metric
    ) -> Metric {
        let key = Key(label, dimensions)
        return handles.withLock { handles in
            if let found = handles[keyPath: store][key] { return found }
            let made = make()
            handles[keyPath: store][key] = made
            return made
        }
    }
}
