import Comparison
import Completions
import Failover
import Foundation
import Jobs
import Logging
import Synchronization

/// Shadow traffic (`workloads.NAME.shadow`): for a sample of a workload's live jobs, after the
/// live run has its result, the job is also sent to each shadow route in the background, and a
/// `shadow` telemetry event compares the two answers (``PairMeasure``), their latency and cost.
///
/// Guarantees:
/// - It never touches the live job: the live result is final before a shadow call starts, the
///   job's offset never waits for one, and shadow calls are not among the job's attempts.
/// - Shadow calls run on their own ``FailoverEngine``: their own breakers, retry budget and
///   provider slots, so a failing shadow route never opens the breaker live traffic sees.
/// - A shadow call is not started while the route's breaker is open in either engine, while live
///   jobs wait for a slot (``setLiveSlotsShort(_:)``), or while the workload has `max_in_flight`
///   shadow calls running; each such skip is counted, never queued.
/// - One call per route (no failover, no hedging; at most one retry, within the shadow engine's
///   retry budget), ended by twice the job's attempt timeout, and never waiting for a breaker to
///   close; cancelled calls publish nothing.
package final class ShadowTraffic: Sendable {
    /// What one worker's shadow traffic did, for logs and tests.
    package struct Counts: Sendable, Hashable {
        /// Live jobs in the sample.
        package var sampled = 0
        /// Shadow calls started.
        package var started = 0
        /// Shadow events queued for publishing.
        package var published = 0
        /// Calls not started: the route's breaker was open.
        package var skippedBreakerOpen = 0
        /// Calls not started: live jobs were waiting for a slot.
        package var skippedLiveBusy = 0
        /// Calls not started: the workload's `max_in_flight` shadow calls were running.
        package var skippedFull = 0
    }

    /// One shadow call to make.
    private struct Call: Sendable {
        var job: Job
        var route: RouteKey
        var primary: TelemetryEvent.Shadow.Side
        var primaryAnswer: String
    }

    private struct State {
        var counts = Counts()
        var inFlight: [String: Int] = [:]
        var liveSlotsShort: (@Sendable () -> Bool)?
    }

    private let plans: [String: ShadowConfig]
    private let engine: FailoverEngine<ContinuousClock>
    private let live: FailoverEngine<ContinuousClock>
    private let backlog: TelemetryBacklog
    private let logger: Logger
    private let metrics: WorkerMetrics?
    private let state = Mutex(State())
    private let calls: AsyncStream<Call>
    private let queue: AsyncStream<Call>.Continuation

    /// Shadow traffic for the workloads of `plans` (by workload name): calls go to `providers`
    /// through an engine of their own made with `configuration`; `live` is the live engine, whose
    /// breakers a shadow call respects; events go to `backlog`. `nil` when no workload shadows.
    init?(
        plans: [String: ShadowConfig], providers: [String: any CompletionProvider], configuration: EngineConfiguration,
        live: FailoverEngine<ContinuousClock>, backlog: TelemetryBacklog, logger: Logger, metrics: WorkerMetrics? = nil
    ) {
        let plans = plans.filter { $0.value.sampleRate > 0 }
        guard !plans.isEmpty else { return nil }
        self.plans = plans
        self.engine = FailoverEngine(providers: providers, configuration: configuration)
        self.live = live
        self.backlog = backlog
        self.logger = logger
        self.metrics = metrics
        (calls, queue) = AsyncStream.makeStream(of: Call.self, bufferingPolicy: .unbounded)
    }

    /// What was done so far.
    package var counts: Counts { state.withLock { $0.counts } }

    /// Shadow calls queued or running.
    package var inFlight: Int { state.withLock { $0.inFlight.values.reduce(0, +) } }

    /// Tells it how to see that live jobs wait for a slot (the worker's admission queue).
    func setLiveSlotsShort(_ check: @escaping @Sendable () -> Bool) {
        state.withLock { $0.liveSlotsShort = check }
    }

    /// Offers a finished live job: when it succeeded and is in its workload's sample, a shadow
    /// call per shadow route (other than the one that served it) is queued, within the limits.
    /// Never waits.
    func offer(_ job: Job, live result: FailoverResult, attempts: [AttemptEvent]) {
        guard let plan = plans[job.workload], result.status == .succeeded, let servedBy = result.servedBy,
            let answer = result.response?.text, ShadowSampler.isSampled(job.id, rate: plan.sampleRate)
        else { return }
        let served = servedBy.key
        let call = attempts.last { $0.outcome == .ok && $0.provider == served.provider && $0.model == served.model }
        let primary = TelemetryEvent.Shadow.Side(
            route: served, outcome: .ok, latencyMs: Int((call?.latency ?? result.latency).milliseconds),
            costUSD: call?.costUSD ?? result.costUSD, schemaValid: job.request.responseFormat.isJSON ? true : nil)
        let short =
            state.withLock { state in
                state.counts.sampled += 1
                return state.liveSlotsShort
            }?() ?? false
        for route in plan.routes where route != served {
            guard !short else {
                state.withLock { $0.counts.skippedLiveBusy += 1 }
                metrics?.shadowCall(workload: job.workload, route: route, result: "skipped_live_busy")
                continue
            }
            guard live.isAvailable(route), engine.isAvailable(route) else {
                state.withLock { $0.counts.skippedBreakerOpen += 1 }
                metrics?.shadowCall(workload: job.workload, route: route, result: "skipped_breaker_open")
                continue
            }
            let admitted = state.withLock { state -> Bool in
                guard state.inFlight[job.workload, default: 0] < plan.maxInFlight else {
                    state.counts.skippedFull += 1
                    return false
                }
                state.inFlight[job.workload, default: 0] += 1
                state.counts.started += 1
                return true
            }
            guard admitted else {
                metrics?.shadowCall(workload: job.workload, route: route, result: "skipped_max_in_flight")
                continue
            }
            if case .terminated = queue.yield(Call(job: job, route: route, primary: primary, primaryAnswer: answer)) {
                release(job.workload)
            }
        }
    }

    /// Makes the queued calls until cancelled (the worker's shutdown); calls in flight then are
    /// cancelled and publish nothing.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await call in calls {
                group.addTask { await self.perform(call) }
            }
        }
    }

    /// Stops taking calls: ``run()`` returns once the running ones end.
    func finish() {
        queue.finish()
    }

    private func perform(_ call: Call) async {
        defer { release(call.job.workload) }
        var policy = call.job.policy
        policy.hedgeAfter = nil
        policy.maxAttempts = min(policy.maxAttempts, 2)
        policy.deadline = min(policy.deadline, policy.attemptTimeout * 2)
        policy.waitsForRoutes = false
        let events = JobEvents()
        let result = await engine.run(
            FailoverJob(
                id: call.job.id, workload: call.job.workload, request: call.job.request,
                routes: [RouteTarget(provider: call.route.provider, model: call.route.model, index: 0)], policy: policy, events: events
            )
        )
        // Cancelled (shutdown), or never called (its breaker opened meanwhile): nothing to compare.
        if Task.isCancelled || result.error?.errorClass == .cancelled { return }
        guard result.attempts > 0 else {
            state.withLock { $0.counts.skippedBreakerOpen += 1 }
            metrics?.shadowCall(workload: call.job.workload, route: call.route, result: "skipped_breaker_open")
            return
        }
        let isJSON = call.job.request.responseFormat.isJSON
        let observed = RouteObservation(result: result, events: events, isJSON: isJSON)
        let backup = TelemetryEvent.Shadow.Side(
            route: call.route, outcome: observed.outcome, latencyMs: Int(result.latency.milliseconds), costUSD: result.costUSD,
            schemaValid: observed.schemaValid)
        let measure = result.response.flatMap { PairMeasure(primary: call.primaryAnswer, backup: $0.text, isJSON: isJSON) }
        let event = TelemetryEvent.shadow(
            .init(jobID: call.job.id, workload: call.job.workload, primary: call.primary, backup: backup, measure: measure, at: Date()))
        if backlog.enqueue(event) {
            state.withLock { $0.counts.published += 1 }
            metrics?.shadowCall(workload: call.job.workload, route: call.route, result: "published")
        }
    }

    private func release(_ workload: String) {
        state.withLock { $0.inFlight[workload, default: 1] -= 1 }
    }
}
