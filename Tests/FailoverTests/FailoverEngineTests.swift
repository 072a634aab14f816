import Completions
import Failover
import FailoverTesting
import Testing

/// The proof list of issue 4, deterministic: a manual clock and scripted routes.
@Suite struct FailoverEngineTests {
    @Test func primary503FailsOverToBackup() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(503)) })
        let result = try await rig.run(rig.job())
        #expect(result.status == .succeeded)
        #expect(result.servedBy?.index == 1)
        #expect(result.fallbackUsed)
        #expect(result.attempts == 2)
        #expect(rig.primary.calls == 1)
        let attempts = rig.sink.attempts
        #expect(attempts.map(\.decision) == [.failOver, .done])
        #expect(attempts.map(\.outcome) == [.serverError, .ok])
        #expect(attempts.first?.httpStatus == 503)
        #expect(attempts.map(\.attempt) == [1, 2])
        #expect(attempts.map(\.routeIndex) == [0, 1])
    }

    @Test func shortRetryAfterRetriesSameRouteAfterThatLong() async throws {
        let rig = Rig(primary: { call, _ in call == 1 ? .fail(httpFailure(429, retryAfter: .seconds(1))) : .answer("primary answer") })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(deadline: .seconds(60))))
        #expect(result.status == .succeeded)
        #expect(result.servedBy?.index == 0)
        #expect(rig.primary.callTimes == [.zero, .seconds(1)])
        #expect(rig.backup.calls == 0)
        #expect(rig.sink.attempts.map(\.decision) == [.retry, .done])
        #expect(rig.sink.attempts.first?.retryAfter == .seconds(1))
    }

    @Test func longRetryAfterFailsOverAtOnceAndCoolsTheRouteDown() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(429, retryAfter: .seconds(3600))) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(deadline: .seconds(60))))
        #expect(result.servedBy?.index == 1)
        #expect(result.latency == .zero)
        #expect(rig.sink.attempts.first?.decision == .failOver)
        #expect(rig.engine.circuitState(of: RouteKey(provider: "primary", model: "claude-sonnet-4-5")) == .open)
        // The next job skips the cooling route without calling it.
        let next = try await rig.run(rig.job("job-2"))
        #expect(next.servedBy?.index == 1)
        #expect(next.attempts == 1)
        #expect(rig.primary.calls == 1)
        #expect(rig.sink.attempts.contains { $0.jobID == "job-2" && $0.outcome == .circuitOpen && $0.routeIndex == 0 })
    }

    @Test func hungPrimaryTimesOutFailsOverAndIsCancelled() async throws {
        let rig = Rig(primary: { _, _ in .hang }, backup: { _, _ in .answer("backup", after: .seconds(1)) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(attemptTimeout: .seconds(5))))
        #expect(result.status == .succeeded)
        #expect(result.servedBy?.index == 1)
        #expect(result.latency == .seconds(6))
        #expect(rig.primary.cancelled == 1)
        #expect(rig.sink.attempts.first?.outcome == .timeout)
        #expect(rig.sink.attempts.first?.decision == .failOver)
        #expect(rig.sink.attempts.first?.latency == .seconds(5))
    }

    @Test func fiveFailuresOpenTheBreakerThenOneProbeClosesIt() async throws {
        let rig = Rig(primary: { _, now in now < .seconds(100) ? .fail(httpFailure(500)) : .answer("primary back") })
        for number in 1...5 {
            let result = try await rig.run(rig.job("warm-\(number)"))
            #expect(result.servedBy?.index == 1)
        }
        #expect(rig.primary.calls == 5)
        #expect(rig.sink.circuits.map(\.state) == [.open])
        let key = RouteKey(provider: "primary", model: "claude-sonnet-4-5")
        #expect(rig.engine.circuitState(of: key) == .open)

        let results = try await rig.runAll((1...100).map { rig.job("open-\($0)") })
        #expect(results.allSatisfy { $0.servedBy?.index == 1 && $0.attempts == 1 })
        #expect(rig.primary.calls == 5)
        #expect(rig.sink.attempts.filter { $0.jobID.hasPrefix("open-") && $0.outcome == .circuitOpen }.count == 100)

        rig.clock.advance(to: ManualClock.Instant(offset: .seconds(100)))
        let probe = try await rig.run(rig.job("probe"))
        #expect(probe.servedBy?.index == 0)
        #expect(rig.primary.calls == 6)
        #expect(rig.sink.circuits.map(\.state) == [.open, .halfOpen, .closed])
        #expect(rig.engine.circuitState(of: key) == .closed)
    }

    @Test func halfOpenLetsOnlyOneProbeThrough() async throws {
        let rig = Rig(primary: { _, now in now < .seconds(100) ? .fail(httpFailure(500)) : .answer("back", after: .seconds(2)) })
        for number in 1...5 { _ = try await rig.run(rig.job("warm-\(number)")) }
        rig.clock.advance(to: ManualClock.Instant(offset: .seconds(100)))
        let results = try await rig.runAll((1...10).map { rig.job("after-\($0)") })
        #expect(rig.primary.calls == 6)
        #expect(results.filter { $0.servedBy?.index == 0 }.count == 1)
        #expect(results.filter { $0.servedBy?.index == 1 }.count == 9)
    }

    @Test func slowPrimaryIsHedgedAndTheBackupWins() async throws {
        let rig = Rig(primary: { _, _ in .answer("slow primary", after: .seconds(10)) }, backup: { _, _ in .answer("backup", after: .seconds(1)) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(hedgeAfter: .seconds(2))))
        #expect(result.status == .succeeded)
        #expect(result.servedBy?.index == 1)
        #expect(result.latency == .seconds(3))
        #expect(result.attempts == 2)
        #expect(rig.primary.cancelled == 1)
        let primaryEvent = rig.sink.attempts.first { $0.routeIndex == 0 }
        #expect(primaryEvent?.outcome == .cancelled)
        #expect(primaryEvent?.decision == .hedge)
        #expect(primaryEvent?.costUSD == 0)
        #expect(rig.sink.attempts.first { $0.routeIndex == 1 }?.decision == .done)
        #expect(result.costUSD == rig.sink.attempts.map(\.costUSD).reduce(0, +))
    }

    @Test func hedgeLoserThatReportedUsageIsCounted() async throws {
        let usage = CompletionResponse.Usage(inputTokens: 1000, outputTokens: 100)
        let rig = Rig(
            primary: { _, _ in .answerEvenIfCancelled("late", after: .seconds(10), usage: usage) },
            backup: { _, _ in .answer("backup", after: .seconds(1), usage: usage) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(hedgeAfter: .seconds(2))))
        #expect(result.servedBy?.index == 1)
        #expect(result.usage == CompletionResponse.Usage(inputTokens: 2000, outputTokens: 200))
        let primaryCost = PriceTable.defaults.cost(of: usage, model: "claude-sonnet-4-5")
        let backupCost = PriceTable.defaults.cost(of: usage, model: "gpt-4o")
        #expect(abs(result.costUSD - (primaryCost + backupCost)) < 1e-12)
    }

    @Test func hedgesAreCappedByTheirBudget() async throws {
        var configuration = EngineConfiguration(jitter: { 0.5 })
        configuration.hedgeBudget = HedgeBudget.Configuration(ratio: 0.1, minimumPerSecond: 0, window: .seconds(60))
        let rig = Rig(
            configuration: configuration, primary: { _, _ in .answer("slow", after: .seconds(5)) }, backup: { _, _ in .answer("fast") })
        let results = try await rig.runAll((1...100).map { rig.job("h\($0)", policy: FailoverPolicy(hedgeAfter: .seconds(1))) })
        #expect(results.allSatisfy { $0.status == .succeeded })
        #expect(rig.backup.calls == 10)
        #expect(results.filter { $0.servedBy?.index == 0 }.count == 90)
    }

    @Test func outputBreakingTheSchemaFailsOver() async throws {
        let schema = JSONValue.object([
            "type": .string("object"), "required": .array([.string("summary")]),
            "properties": .object(["summary": .object(["type": .string("string")])]), "additionalProperties": .bool(false),
        ])
        let rig = Rig(primary: { _, _ in .answer(#"{"summery": "typo"}"#) }, backup: { _, _ in .answer("```json\n{\"summary\": \"ok\"}\n```") })
        let result = try await rig.run(rig.job(format: .jsonSchema(schema)))
        #expect(result.servedBy?.index == 1)
        #expect(rig.sink.attempts.first?.outcome == .invalidOutput)
        #expect(rig.sink.attempts.first?.decision == .failOver)
        #expect(result.usage.inputTokens == 200)
    }

    @Test func emptyOutputIsInvalid() async throws {
        let rig = Rig(primary: { _, _ in .answer("  \n") })
        let result = try await rig.run(rig.job())
        #expect(result.servedBy?.index == 1)
        #expect(rig.sink.attempts.first?.outcome == .invalidOutput)
    }

    @Test func totalOutageIsWaitedOutWithoutATightLoop() async throws {
        let rig = Rig(
            primary: { _, now in now < .minutes(3) ? .fail(httpFailure(503)) : .answer("primary back") },
            backup: { _, _ in .fail(httpFailure(500)) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(maxAttempts: 100, deadline: .minutes(10))))
        #expect(result.status == .succeeded)
        #expect(result.servedBy?.index == 0)
        #expect(result.latency >= .minutes(3))
        #expect(result.latency < .minutes(10))
        let calls = rig.primary.calls + rig.backup.calls
        #expect(calls <= 30, "calls: \(calls)")
        #expect(result.attempts == calls)
        #expect(rig.sink.attempts.contains { $0.outcome == .circuitOpen })
    }

    @Test func outageLongerThanTheDeadlineFailsAtTheDeadline() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(503)) }, backup: { _, _ in .fail(httpFailure(503)) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(maxAttempts: 100, deadline: .minutes(2))))
        #expect(result.status == .failed)
        #expect([FailoverError.Code.allRoutesUnavailable, .deadlineExceeded].contains(result.error?.errorClass))
        #expect(result.latency == .minutes(2))
        #expect(rig.primary.calls + rig.backup.calls <= 30)
    }

    @Test func sameRouteRetriesStayWithinTheRetryBudgetDuringAnOutage() async throws {
        var configuration = EngineConfiguration(jitter: { 0.5 })
        configuration.breaker = CircuitBreaker.Configuration(consecutiveFailures: 1_000_000, minimumCalls: 1_000_000)
        configuration.retryBudget = RetryBudget.Configuration(ratio: 0.2, minimumPerSecond: 1, window: .seconds(10))
        let rig = Rig(configuration: configuration, primary: { _, _ in .fail(httpFailure(502)) })
        let routes = [RouteTarget(provider: "primary", model: "m", index: 0)]
        let jobs = (1...1000).map { number in
            var job = rig.job("outage-\(number)", policy: FailoverPolicy(maxAttempts: 4, deadline: .seconds(30)))
            job.routes = routes
            return job
        }
        let results = try await rig.runAll(jobs)
        #expect(results.allSatisfy { $0.status == .failed })
        let retries = rig.primary.calls - 1000
        // 20% of 1,000 requests plus a floor of 10 per 10 s window over the 30 s the jobs live.
        #expect(retries <= 200 + 10 * 4, "retries: \(retries)")
        #expect(retries > 0)
        #expect(rig.primary.calls < 4000)
        // Every retry the budget refused is reported, for the worker's counter.
        #expect(rig.sink.retriesRefused > 0, "the budget refused none of \(4000 - rig.primary.calls) missing retries")
    }

    @Test func badRequestFailsAfterOneAttempt() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(400, type: "invalid_request_error", message: "messages: field required")) })
        let result = try await rig.run(rig.job())
        #expect(result.status == .failed)
        #expect(result.error?.errorClass == .notRetryable)
        #expect(result.error?.message.contains("messages: field required") == true)
        #expect(result.attempts == 1)
        #expect(rig.backup.calls == 0)
        #expect(rig.sink.attempts.map(\.decision) == [.giveUp])
    }

    @Test(arguments: [
        httpFailure(400, type: "invalid_request_error", message: "You have reached your specified API usage spend limit"),
        httpFailure(402, message: "payment required"),
        httpFailure(404, type: "not_found_error", message: "model: claude-nope"),
        httpFailure(400, type: "invalid_request_error", message: "prompt is too long: 250000 tokens > 200000 maximum"),
    ])
    func routeSpecificClientErrorsFailOver(failure: ProviderFailure) async throws {
        let rig = Rig(primary: { _, _ in .fail(failure) })
        let result = try await rig.run(rig.job())
        #expect(result.status == .succeeded)
        #expect(result.servedBy?.index == 1)
        #expect(rig.sink.attempts.first?.decision == .failOver)
    }

    @Test func unauthorizedFailsOverAndOpensTheBreakerAtOnce() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(401, message: "invalid x-api-key")) })
        let result = try await rig.run(rig.job())
        #expect(result.servedBy?.index == 1)
        #expect(rig.sink.circuits.map(\.state) == [.open])
        #expect(rig.engine.circuitState(of: RouteKey(provider: "primary", model: "claude-sonnet-4-5")) == .open)
        _ = try await rig.run(rig.job("second"))
        #expect(rig.primary.calls == 1)
    }

    @Test func notInFailOverOnGivesUp() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(500)) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(failOverOn: [.timeout])))
        #expect(result.error?.errorClass == .notRetryable)
        #expect(result.attempts == 1)
    }

    @Test func maxAttemptsIsRespected() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(500)) }, backup: { _, _ in .fail(httpFailure(500)) })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(maxAttempts: 3)))
        #expect(result.error?.errorClass == .attemptsExhausted)
        #expect(result.attempts == 3)
        #expect(rig.primary.calls + rig.backup.calls == 3)
        #expect(rig.sink.attempts.last?.decision == .giveUp)
    }

    @Test func deadlineCancelsTheCallInFlight() async throws {
        let rig = Rig(primary: { _, _ in .hang }, backup: { _, _ in .hang })
        let result = try await rig.run(rig.job(policy: FailoverPolicy(attemptTimeout: .seconds(30), deadline: .seconds(45))))
        #expect(result.error?.errorClass == .deadlineExceeded)
        #expect(result.latency == .seconds(45))
        #expect(rig.primary.cancelled == 1)
        #expect(rig.backup.cancelled == 1)
        #expect(rig.sink.attempts.last?.outcome == .cancelled)
        #expect(rig.sink.attempts.last?.decision == .giveUp)
    }

    @Test func taskCancellationEndsTheJob() async throws {
        let rig = Rig(primary: { _, _ in .hang })
        let engine = rig.engine
        let job = rig.job()
        let result = try await ManualExecutor.run(advancing: rig.clock) {
            await withTaskGroup(of: FailoverResult?.self) { group in
                group.addTask { await engine.run(job) }
                group.addTask {
                    try? await rig.clock.sleep(until: ManualClock.Instant(offset: .seconds(3)), tolerance: nil)
                    return nil
                }
                var result: FailoverResult?
                while let next = await group.next() {
                    if let next { result = next } else { group.cancelAll() }
                }
                return result
            }
        }
        #expect(result?.error?.errorClass == .cancelled)
        #expect(rig.primary.cancelled == 1)
    }

    @Test func unknownProviderIsSkipped() async throws {
        let rig = Rig(primary: { _, _ in .answer("unused") })
        var job = rig.job()
        job.routes = [RouteTarget(provider: "nope", model: "m", index: 0), RouteTarget(provider: "backup", model: "gpt-4o", index: 1)]
        let result = try await rig.run(job)
        #expect(result.servedBy?.index == 1)
        #expect(result.attempts == 1)
        #expect(rig.sink.attempts.first?.outcome == .circuitOpen)
        job.routes = [RouteTarget(provider: "nope", model: "m", index: 0)]
        let none = try await rig.run(job)
        #expect(none.error?.errorClass == .allRoutesUnavailable)
    }

    @Test func slowRouteIsDemotedUntilItRecovers() async throws {
        let rig = Rig(primary: { _, _ in .answer("slow", after: .seconds(3)) })
        let policy = FailoverPolicy(slowAfter: .seconds(1))
        let first = try await rig.run(rig.job("first", policy: policy))
        #expect(first.servedBy?.index == 0)
        let second = try await rig.run(rig.job("second", policy: policy))
        #expect(second.servedBy?.index == 1)
        #expect(rig.primary.calls == 1)
        // Samples go stale after a minute: the primary is tried again.
        rig.clock.advance(by: .seconds(120))
        let third = try await rig.run(rig.job("third", policy: policy))
        #expect(third.servedBy?.index == 0)
    }

    @Test func waitingForAConcurrencySlotDoesNotCountAgainstTheAttemptTimeout() async throws {
        let configuration = EngineConfiguration(maxConcurrency: ["primary": 1], jitter: { 0.5 })
        let rig = Rig(configuration: configuration, primary: { _, _ in .answer("primary", after: .seconds(5)) })
        let results = try await rig.runAll([
            rig.job("a", policy: FailoverPolicy(attemptTimeout: .seconds(6))), rig.job("b", policy: FailoverPolicy(attemptTimeout: .seconds(6))),
        ])
        #expect(results.allSatisfy { $0.servedBy?.index == 0 })
        #expect(results.map(\.latency).sorted() == [.seconds(5), .seconds(10)])
        #expect(rig.primary.callTimes == [.zero, .seconds(5)])
    }

    @Test func overloadShrinksTheAdaptiveLimit() async throws {
        let configuration = EngineConfiguration(maxConcurrency: ["primary": 8], jitter: { 0.5 })
        let rig = Rig(configuration: configuration, primary: { _, _ in .fail(httpFailure(529)) })
        _ = try await rig.run(rig.job())
        #expect(rig.engine.concurrencyLimit(of: "primary") == 5)
    }

    @Test func skippedRoutesDoNotConsumeAttempts() async throws {
        let rig = Rig(primary: { _, _ in .fail(httpFailure(401)) }, backup: { _, _ in .answer("b") })
        _ = try await rig.run(rig.job("open-it"))
        let result = try await rig.run(rig.job("after", policy: FailoverPolicy(maxAttempts: 1)))
        #expect(result.status == .succeeded)
        #expect(result.attempts == 1)
        let events = rig.sink.attempts.filter { $0.jobID == "after" }
        #expect(events.map(\.outcome) == [.circuitOpen, .ok])
        #expect(events.map(\.attempt) == [1, 1])
    }
}
