import Comparison
import Completions
import Failover
import Foundation
import Jobs
import Kafka
import Logging
import Synchronization
import Testing

@testable import Worker

/// ``ShadowTraffic`` over in-process providers that answer (or fail) at once: which sampled jobs
/// become shadow calls, what each publishes, and when calls stop.
@Suite("Shadow traffic")
struct ShadowTrafficTests {
    /// A provider that answers every call with `text`, or fails every call when `text` is nil.
    final class InstantProvider: CompletionProvider {
        let kind = "instant"
        let text: String?
        private let count = Mutex(0)

        init(_ text: String?) { self.text = text }

        var calls: Int { count.withLock { $0 } }

        func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
            count.withLock { $0 += 1 }
            guard let text else { throw ProviderFailure(outcome: .serverError, httpStatus: 503, message: "down") }
            return CompletionResponse(text: text, finishReason: .stop, usage: .init(inputTokens: 10, outputTokens: 5))
        }
    }

    /// A provider whose calls wait until cancelled.
    final class HangingProvider: CompletionProvider {
        let kind = "hanging"
        func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
            try await Task.sleep(for: .seconds(3_600))
            throw ProviderFailure(outcome: .timeout, message: "never")
        }
    }

    static func config(rate: Double, maxInFlight: Int = 16) throws -> UnderstudyConfig {
        try UnderstudyConfig.parse(
            yaml: """
                kafka:
                  bootstrap_servers: 127.0.0.1:1
                  topics: {jobs: jobs, results: results, telemetry: telemetry, dead_letter: dead}
                providers:
                  primary: {type: extractive}
                  twin: {type: extractive}
                  broken: {type: extractive}
                engine:
                  breaker_failures: 3
                workloads:
                  w:
                    routes: [{provider: primary, model: m}, {provider: twin, model: m}, {provider: broken, model: m}]
                    policy: {backoff_base_ms: 1, backoff_cap_ms: 1}
                    shadow: {sample_rate: \(rate), max_in_flight: \(maxInFlight)}
                """, environment: [:])
    }

    static let answer = "- the broker was down\n- the backup answered"

    struct Rig {
        let shadow: ShadowTraffic
        let live: FailoverEngine<ContinuousClock>
        let backlog: TelemetryBacklog
        let config: UnderstudyConfig
        let providers: [String: any CompletionProvider]

        init(rate: Double = 1, maxInFlight: Int = 16, providers: [String: any CompletionProvider]) throws {
            config = try ShadowTrafficTests.config(rate: rate, maxInFlight: maxInFlight)
            self.providers = providers
            backlog = TelemetryBacklog(topic: "telemetry")
            live = FailoverEngine(providers: providers, configuration: config.engineConfiguration)
            shadow = try #require(
                ShadowTraffic(
                    plans: config.workloads.compactMapValues(\.shadow), providers: providers, configuration: config.engineConfiguration,
                    live: live, backlog: backlog, logger: Logger(label: "shadow-test")))
        }

        func job(_ id: String) throws -> Job {
            let json = """
                {"id": "\(id)", "workload": "w", "input": {"messages": [{"role": "user", "content": "The broker was down."}], "max_tokens": 60}}
                """
            return try JobDecoder(config: config).decode(Array(json.utf8))
        }

        /// Runs `job` live (on the primary, one attempt) and offers it.
        func offer(_ id: String) async throws {
            var job = try job(id)
            job.policy.maxAttempts = 1
            let events = JobEvents()
            let result = await live.run(
                FailoverJob(
                    id: job.id, workload: job.workload, request: job.request,
                    routes: [RouteTarget(provider: "primary", model: "m", index: 0)], policy: job.policy, events: events))
            shadow.offer(job, live: result, attempts: events.attempts)
        }

        /// The shadow events published so far.
        func events() -> [TelemetryEvent.Shadow] {
            backlog.drain().compactMap { $0.value.flatMap(TelemetryEvent.Shadow.read) }
        }
    }

    /// Offers `ids` one at a time, each after the previous one's shadow calls ended.
    private func offerOneByOne(_ rig: Rig, _ ids: [String]) async throws {
        let runner = Task { await rig.shadow.run() }
        for id in ids {
            try await rig.offer(id)
            for _ in 0..<5_000 where rig.shadow.inFlight > 0 { try await Task.sleep(for: .milliseconds(1)) }
            #expect(rig.shadow.inFlight == 0, "shadow calls of \(id) did not end")
        }
        rig.shadow.finish()
        await runner.value
    }

    @Test("a sampled job is sent to every shadow route and each call publishes its measures")
    func publishesPerRoute() async throws {
        let twin = InstantProvider(Self.answer)
        let rig = try Rig(providers: ["primary": InstantProvider(Self.answer), "twin": twin, "broken": InstantProvider("one line")])
        try await offerOneByOne(rig, ["job-1"])
        let events = rig.events()
        #expect(events.count == 2)
        let byRoute = Dictionary(uniqueKeysWithValues: events.map { ($0.backup.route.provider, $0) })
        let same = try #require(byRoute["twin"])
        #expect(same.jobID == "job-1" && same.workload == "w")
        #expect(same.primary.route == RouteKey(provider: "primary", model: "m"))
        #expect(same.backup.outcome == .ok && same.measure?.similarity == 1 && same.shapeMatches == true)
        let other = try #require(byRoute["broken"])
        #expect(other.shapeMatches == false)
        #expect((other.measure?.similarity ?? 1) < 0.5)
        #expect(rig.shadow.counts.sampled == 1 && rig.shadow.counts.published == 2)
    }

    @Test("a job out of the sample, or whose live run failed, is not shadowed")
    func onlySampledSuccesses() async throws {
        let twin = InstantProvider(Self.answer)
        let rig = try Rig(rate: 0.000_001, providers: ["primary": InstantProvider(Self.answer), "twin": twin, "broken": twin])
        try await offerOneByOne(rig, (0..<200).map { "job-\($0)" })
        #expect(twin.calls == 0 && rig.events().isEmpty)

        let failing = try Rig(providers: ["primary": InstantProvider(nil), "twin": twin, "broken": twin])
        try await offerOneByOne(failing, ["job-x"])
        #expect(twin.calls == 0 && failing.events().isEmpty)
    }

    @Test("no shadow call starts while live jobs wait for a slot")
    func yieldsToLiveJobs() async throws {
        let twin = InstantProvider(Self.answer)
        let rig = try Rig(providers: ["primary": InstantProvider(Self.answer), "twin": twin, "broken": twin])
        let busy = Atomic(true)
        rig.shadow.setLiveSlotsShort { busy.load(ordering: .relaxed) }
        try await offerOneByOne(rig, ["job-1", "job-2"])
        #expect(twin.calls == 0 && rig.shadow.counts.skippedLiveBusy == 4)
    }

    @Test("a failing shadow route stops getting calls once its own breaker opens, and the live breaker stays closed")
    func stopsOnOpenBreaker() async throws {
        let broken = InstantProvider(nil)
        let rig = try Rig(providers: ["primary": InstantProvider(Self.answer), "twin": InstantProvider(Self.answer), "broken": broken])
        try await offerOneByOne(rig, (0..<20).map { "job-\($0)" })
        // breaker_failures is 3: the calls stop at the third failure (two per shadow call at most),
        // and the shadow call whose retry met the open breaker ended there instead of waiting.
        #expect(broken.calls == 3, "calls to the broken shadow route: \(broken.calls)")
        // Two or three shadow calls made those three (a retry is spent only when the retry budget allows it).
        let skipped = rig.shadow.counts.skippedBreakerOpen
        #expect((17...18).contains(skipped))
        #expect(rig.live.circuitState(of: RouteKey(provider: "broken", model: "m")) == .closed)
        let failed = rig.events().filter { $0.backup.route.provider == "broken" }
        #expect(failed.count == 20 - skipped && failed.allSatisfy { $0.backup.outcome == .serverError && $0.measure == nil })
    }

    @Test("a route whose live breaker is open gets no shadow call")
    func respectsLiveBreaker() async throws {
        let twin = InstantProvider(Self.answer)
        let broken = InstantProvider(nil)
        let rig = try Rig(providers: ["primary": InstantProvider(Self.answer), "twin": twin, "broken": broken])
        // Three live failures on `broken` open its live breaker.
        for index in 0..<3 {
            let job = try rig.job("live-\(index)")
            _ = await rig.live.run(
                FailoverJob(
                    id: job.id, workload: "w", request: job.request, routes: [RouteTarget(provider: "broken", model: "m", index: 0)],
                    policy: FailoverPolicy(maxAttempts: 1)))
        }
        #expect(rig.live.circuitState(of: RouteKey(provider: "broken", model: "m")) == .open)
        try await offerOneByOne(rig, ["job-1"])
        #expect(broken.calls == 3, "no shadow call reached the route")
        #expect(twin.calls == 1)
    }

    @Test("beyond max_in_flight shadow calls, a sampled job is skipped, not queued")
    func boundsInFlight() async throws {
        let rig = try Rig(
            maxInFlight: 2, providers: ["primary": InstantProvider(Self.answer), "twin": HangingProvider(), "broken": HangingProvider()])
        let runner = Task { await rig.shadow.run() }
        for index in 0..<5 { try await rig.offer("job-\(index)") }
        #expect(rig.shadow.counts.started == 2)
        #expect(rig.shadow.counts.skippedFull == 8)
        runner.cancel()
        await runner.value
        #expect(rig.events().isEmpty, "cancelled calls publish nothing")
    }

    @Test("the sampler follows the rate within binomial bounds and is stable per id")
    func samplerRate() {
        let ids = (0..<100_000).map { "job-\($0)" }
        for rate in [0.01, 0.1, 0.5] {
            let sampled = ids.count { ShadowSampler.isSampled($0, rate: rate) }
            let mean = Double(ids.count) * rate
            let sd = (mean * (1 - rate)).squareRoot()
            #expect(abs(Double(sampled) - mean) < 5 * sd, "rate \(rate): \(sampled) sampled")
        }
        #expect(ids.allSatisfy { ShadowSampler.isSampled($0, rate: 0.3) == ShadowSampler.isSampled($0, rate: 0.3) })
        #expect(!ids.contains { ShadowSampler.isSampled($0, rate: 0) })
        #expect(ids.allSatisfy { ShadowSampler.isSampled($0, rate: 1) })
        #expect(ids.allSatisfy { (0..<1).contains(ShadowSampler.fraction(of: $0)) })
    }
}
