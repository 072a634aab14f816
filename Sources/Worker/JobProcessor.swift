import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Logging
import Tracing

/// Turns one consumed message into its ``Publication``: a dead letter for a message that cannot
/// become a job, or the job run through the failover engine with its result and telemetry.
///
/// It never throws and never crashes on input: every malformed message becomes a dead letter
/// whose headers name the field at fault.
struct JobProcessor: Sendable {
    let decoder: JobDecoder
    let engine: FailoverEngine<ContinuousClock>
    let providerKinds: [String: String]
    let topics: KafkaConfig.Topics
    let maxMessageBytes: Int
    let logger: Logger
    /// Where sampled live jobs go once their result is known; `nil` when no workload shadows.
    var shadow: ShadowTraffic? = nil
    /// Where attempts are counted; `nil`: not counted.
    var metrics: WorkerMetrics? = nil
    /// Spans of each job and its attempts; `nil`: no tracing.
    var tracing: JobTracing? = nil

    /// The W3C trace headers a job's result and telemetry carry over from the job message.
    static let traceHeaderNames: Set<String> = ["traceparent", "tracestate"]
    /// The longest trace header carried over (W3C allows 512 bytes of `tracestate`); a longer
    /// one is not copied onto every record of the job.
    static let maxTraceHeaderBytes = 512

    /// Processes `message`; `nil` when the task was cancelled before the job finished (the job
    /// is then not finished: its offset is not committed and it will run again).
    /// `decoded` is the message's job when the caller already decoded it (a budgeted workload's
    /// job, possibly with its deadline shortened by its wait).
    func process(_ message: KafkaMessage, decoded: Job? = nil, startedAt: ContinuousClock.Instant = .now) async -> Publication? {
        let started = Date()
        if decoded == nil, message.value.count > maxMessageBytes {
            return deadLetter(
                message,
                JobRejection(
                    code: .tooLarge, fieldPath: nil,
                    detail: "message is \(message.value.count) bytes, larger than worker.max_message_bytes (\(maxMessageBytes))")
            )
        }
        let job: Job
        if let decoded {
            job = decoded
        } else {
            do {
                job = try decoder.decode(message.value)
            } catch {
                return deadLetter(message, error)
            }
        }
        let trace = message.headers.filter {
            Self.traceHeaderNames.contains($0.name) && ($0.value?.count ?? 0) <= Self.maxTraceHeaderBytes
        }
        let queueMs = message.timestampMilliseconds.map { max(0, Int(started.timeIntervalSince1970 * 1000) - Int($0)) }
        let span = tracing?.startJob(message, job: job)

        if job.isExpired(at: started) {
            let result = JobResult(
                jobID: job.id, workload: job.workload,
                status: .failed(.init(.expired, message: "the job expired at \(job.expiresAt.map(RFC3339.string(from:)) ?? "?") before it started")),
                attempts: 0, usage: .init(inputTokens: 0, outputTokens: 0), costUSD: 0,
                latencyMs: 0, queueMs: queueMs, metadata: job.metadata, completedAt: Date()
            )
            if let span { tracing?.finish(span, result: result, attempts: []) }
            return publication(result, attempts: [], trace: trace)
        }

        let events = JobEvents()
        let failoverJob = FailoverJob(
            id: job.id, workload: job.workload, request: job.request,
            routes: job.routes.enumerated().map {
                RouteTarget(provider: $0.element.provider, model: $0.element.model, index: routeIndex(of: $0.element, in: job))
            },
            policy: job.policy,
            events: events
        )
        let outcome = await engine.run(failoverJob)
        if outcome.error?.errorClass == .cancelled || Task.isCancelled {
            span?.end()
            return nil
        }
        let attempts = events.attempts
        metrics?.attempts(attempts, workload: job.workload)
        shadow?.offer(job, live: outcome, attempts: attempts)

        let status: JobResult.Status
        if outcome.status == .succeeded, let response = outcome.response, let servedBy = outcome.servedBy {
            status = .succeeded(
                .init(text: response.text, finishReason: response.finishReason),
                servedBy: .init(provider: servedBy.provider, model: servedBy.model, routeIndex: servedBy.index)
            )
        } else {
            let error = outcome.error ?? FailoverError(.attemptsExhausted, message: "no route answered")
            status = .failed(.init(error.errorClass, message: error.message))
        }
        let result = JobResult(
            jobID: job.id, workload: job.workload, status: status, attempts: outcome.attempts, usage: outcome.usage,
            costUSD: outcome.costUSD, latencyMs: Int(outcome.latency.milliseconds), queueMs: queueMs,
            metadata: job.metadata, completedAt: Date()
        )
        if let span { tracing?.finish(span, result: result, attempts: attempts) }
        return publication(result, attempts: attempts, trace: trace)
    }

    /// The job, when `message` is one (within `worker.max_message_bytes` and valid); `nil` otherwise
    /// (``process(_:decoded:startedAt:)`` then makes it a dead letter).
    func decode(_ message: KafkaMessage) -> Job? {
        guard message.value.count <= maxMessageBytes else { return nil }
        return try? decoder.decode(message.value)
    }

    /// The failed result of a job that waited for its workload's budget until its deadline.
    func budgetExhausted(_ message: KafkaMessage, job: Job, reason: String) -> Publication {
        let trace = message.headers.filter {
            Self.traceHeaderNames.contains($0.name) && ($0.value?.count ?? 0) <= Self.maxTraceHeaderBytes
        }
        let now = Date()
        let queueMs = message.timestampMilliseconds.map { max(0, Int(now.timeIntervalSince1970 * 1000) - Int($0)) }
        let result = JobResult(
            jobID: job.id, workload: job.workload, status: .failed(.init(.budgetExhausted, message: reason)),
            attempts: 0, usage: .init(inputTokens: 0, outputTokens: 0), costUSD: 0,
            latencyMs: 0, queueMs: queueMs, metadata: job.metadata, completedAt: now
        )
        return publication(result, attempts: [], trace: trace)
    }

    /// The job's routes are its declared routes; a route's index is its position there.
    private func routeIndex(of route: RouteKey, in job: Job) -> Int {
        job.routes.firstIndex(of: route) ?? 0
    }

    private func publication(_ result: JobResult, attempts: [AttemptEvent], trace: [KafkaHeader]) -> Publication {
        let key = Array(result.jobID.utf8)
        var telemetry: [KafkaRecord] = []
        telemetry.reserveCapacity(attempts.count + 1)
        // Each event encoded as it is built (the hot path: no intermediate list).
        for attempt in attempts {
            let event = TelemetryEvent.attempt(
                .init(
                    jobID: result.jobID, workload: result.workload, attempt: attempt.attempt, routeIndex: attempt.routeIndex,
                    route: RouteKey(provider: attempt.provider, model: attempt.model), outcome: attempt.outcome,
                    httpStatus: attempt.httpStatus, latencyMs: Int(attempt.latency.milliseconds),
                    retryAfterMs: attempt.retryAfter.map { Int($0.milliseconds) },
                    decision: attempt.decision,
                    at: attempt.at, costUSD: attempt.costUSD, usage: attempt.usage,
                    cacheSavingsUSD: attempt.usage.map { $0.cacheReadTokens > 0 || $0.cacheWriteTokens > 0 } == true ? attempt.cacheSavingsUSD : nil,
                    providerType: attempt.providerKind.isEmpty ? providerKinds[attempt.provider] : attempt.providerKind,
                    errorMessage: attempt.errorMessage
                )
            )
            if let bytes = try? WireJSON.encodeBytes(event) {
                telemetry.append(KafkaRecord(topic: topics.telemetry, key: key, value: bytes, headers: trace))
            }
        }
        if let record = jobEvent(result, key: key, trace: trace) { telemetry.append(record) }
        return .job(result: result, resultsTopic: topics.results, telemetry: telemetry, headers: trace)
    }

    /// The job event of a finished job, as a telemetry record.
    private func jobEvent(_ result: JobResult, key: [UInt8], trace: [KafkaHeader]) -> KafkaRecord? {
        (try? WireJSON.encodeBytes(TelemetryEvent.job(.init(result)))).map {
            KafkaRecord(topic: topics.telemetry, key: key, value: $0, headers: trace)
        }
    }

    /// The result and telemetry (each attempt event, then the job event) of a finished job.
    private func publication(_ result: JobResult, events: [TelemetryEvent.Attempt], trace: [KafkaHeader]) -> Publication {
        let key = Array(result.jobID.utf8)
        var telemetry = events.compactMap { event in
            (try? WireJSON.encodeBytes(TelemetryEvent.attempt(event))).map {
                KafkaRecord(topic: topics.telemetry, key: key, value: $0, headers: trace)
            }
        }
        if let record = jobEvent(result, key: key, trace: trace) { telemetry.append(record) }
        return .job(result: result, resultsTopic: topics.results, telemetry: telemetry, headers: trace)
    }

    /// What a job answered inside a provider batch leads to: its result (`mode: batch`, served
    /// by the batch route, at `costUSD`) and one attempt event of mode `batch`. `latencyMs` is
    /// the batch's time from submission to its results; `queueMs` the job's wait before it.
    func batchAnswered(
        _ message: KafkaMessage, job: Job, response: CompletionResponse, route: RouteKey, costUSD: Double, cacheSavingsUSD: Double?,
        latencyMs: Int, queueMs: Int?
    ) -> Publication {
        let trace = message.headers.filter {
            Self.traceHeaderNames.contains($0.name) && ($0.value?.count ?? 0) <= Self.maxTraceHeaderBytes
        }
        let now = Date()
        let index = routeIndex(of: route, in: job)
        var result = JobResult(
            jobID: job.id, workload: job.workload,
            status: .succeeded(
                .init(text: response.text, finishReason: response.finishReason),
                servedBy: .init(provider: route.provider, model: route.model, routeIndex: index)),
            attempts: 1, usage: response.usage, costUSD: costUSD, latencyMs: max(0, latencyMs), queueMs: queueMs.map { max(0, $0) },
            metadata: job.metadata, completedAt: now)
        result.mode = .batch
        var attempt = TelemetryEvent.Attempt(
            jobID: job.id, workload: job.workload, attempt: 1, routeIndex: index, route: route, outcome: .ok, httpStatus: 200,
            latencyMs: max(0, latencyMs), decision: .done, at: now, costUSD: costUSD, usage: response.usage,
            cacheSavingsUSD: cacheSavingsUSD, providerType: providerKinds[route.provider])
        attempt.mode = .batch
        return publication(result, events: [attempt], trace: trace)
    }

    private func deadLetter(_ message: KafkaMessage, _ rejection: JobRejection) -> Publication {
        logger.warning(
            "message set aside to the dead-letter topic",
            metadata: [
                KafkaLoggingKeys.topic: "\(message.topic)", KafkaLoggingKeys.partition: "\(message.partition)",
                KafkaLoggingKeys.offset: "\(message.offset)", "error.class": "\(rejection.code.rawValue)",
                "error.message": "\(rejection.message)",
            ]
        )
        let headers = DeadLetter.headers(for: rejection, topic: message.topic, partition: message.partition, offset: message.offset)
        return .deadLetter(
            KafkaRecord(
                topic: topics.deadLetter, key: message.key, value: message.value,
                headers: message.headers + headers.map { KafkaHeader(name: $0.name, value: $0.value) }
            )
        )
    }
}
