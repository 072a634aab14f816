import Completions
import Failover
import FailoverTesting
import Foundation
import Synchronization

/// What a scripted provider does on one call.
enum Behavior: Sendable {
    case answer(String, after: Duration = .zero, usage: CompletionResponse.Usage = .init(inputTokens: 100, outputTokens: 10))
    case fail(ProviderFailure, after: Duration = .zero)
    case hang
    /// Answers after `after`, and still answers (with usage) if cancelled meanwhile.
    case answerEvenIfCancelled(String, after: Duration, usage: CompletionResponse.Usage)
}

/// A fake provider driven by a script over (call number, clock time).
final class ScriptedProvider: CompletionProvider {
    let kind = "scripted"
    let clock: ManualClock
    let script: @Sendable (_ call: Int, _ now: Duration) -> Behavior
    private let counters = Mutex((calls: 0, cancelled: 0, callTimes: [Duration]()))

    init(clock: ManualClock, script: @escaping @Sendable (_ call: Int, _ now: Duration) -> Behavior) {
        self.clock = clock
        self.script = script
    }

    convenience init(clock: ManualClock, always behavior: Behavior) {
        self.init(clock: clock) { _, _ in behavior }
    }

    var calls: Int { counters.withLock { $0.calls } }
    var cancelled: Int { counters.withLock { $0.cancelled } }
    var callTimes: [Duration] { counters.withLock { $0.callTimes } }

    func complete(_ request: CompletionRequest, model: String, timeout: Duration) async throws -> CompletionResponse {
        let now = clock.elapsed
        let call = counters.withLock {
            $0.calls += 1
            $0.callTimes.append(now)
            return $0.calls
        }
        switch script(call, now) {
        case .answer(let text, let after, let usage):
            try await wait(after)
            return CompletionResponse(text: text, finishReason: .stop, usage: usage)
        case .fail(let failure, let after):
            try await wait(after)
            throw failure
        case .hang:
            try await wait(.seconds(10_000_000))
            throw ProviderFailure(outcome: .connection, message: "unreachable")
        case .answerEvenIfCancelled(let text, let after, let usage):
            try? await clock.sleep(until: clock.now.advanced(by: after), tolerance: nil)
            if Task.isCancelled { counters.withLock { $0.cancelled += 1 } }
            return CompletionResponse(text: text, finishReason: .stop, usage: usage)
        }
    }

    private func wait(_ duration: Duration) async throws {
        guard duration > .zero else { return }
        do {
            try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil)
        } catch {
            counters.withLock { $0.cancelled += 1 }
            throw error
        }
    }
}

/// A failure as an adapter would classify an HTTP answer.
func httpFailure(_ status: Int, type: String? = nil, message: String = "error", retryAfter: Duration? = nil) -> ProviderFailure {
    let (outcome, routeSpecific) = OutcomeClassification.classify(httpStatus: status, providerErrorType: type, message: message)
    return ProviderFailure(
        outcome: outcome, httpStatus: status, providerErrorType: type, message: message, retryAfter: retryAfter, isRouteSpecific: routeSpecific)
}

/// A test rig: a manual clock, two scripted routes (`primary`, `backup`), a recording sink.
struct Rig {
    let clock = ManualClock()
    let sink = RecordingEventSink()
    let primary: ScriptedProvider
    let backup: ScriptedProvider
    let engine: FailoverEngine<ManualClock>

    init(
        configuration: EngineConfiguration = EngineConfiguration(prices: .defaults, jitter: { 0.5 }),
        primary: @escaping @Sendable (_ call: Int, _ now: Duration) -> Behavior,
        backup: @escaping @Sendable (_ call: Int, _ now: Duration) -> Behavior = { _, _ in .answer("backup answer") }
    ) {
        self.primary = ScriptedProvider(clock: clock, script: primary)
        self.backup = ScriptedProvider(clock: clock, script: backup)
        engine = FailoverEngine(
            providers: ["primary": self.primary, "backup": self.backup], configuration: configuration, sink: sink, clock: clock,
            wallClock: { Date(timeIntervalSince1970: 0) })
    }

    func job(_ id: String = "job", policy: FailoverPolicy = FailoverPolicy(), format: CompletionRequest.ResponseFormat = .text) -> FailoverJob {
        FailoverJob(
            id: id, workload: "test",
            request: CompletionRequest(messages: [.init(role: .user, content: "summarise")], responseFormat: format),
            routes: [
                RouteTarget(provider: "primary", model: "claude-sonnet-4-5", index: 0),
                RouteTarget(provider: "backup", model: "gpt-4o", index: 1),
            ],
            policy: policy)
    }

    /// Runs `job` to its result, stepping the manual clock.
    func run(_ job: FailoverJob) async throws -> FailoverResult {
        let engine = engine
        return try await ManualExecutor.run(advancing: clock) { await engine.run(job) }
    }

    /// Runs `jobs` concurrently.
    func runAll(_ jobs: [FailoverJob]) async throws -> [FailoverResult] {
        let engine = engine
        return try await ManualExecutor.run(advancing: clock) {
            await withTaskGroup(of: FailoverResult.self) { group in
                for job in jobs { group.addTask { await engine.run(job) } }
                var results: [FailoverResult] = []
                for await result in group { results.append(result) }
                return results
            }
        }
    }
}

extension Duration {
    static func minutes(_ minutes: Int) -> Duration { .seconds(minutes * 60) }
}
