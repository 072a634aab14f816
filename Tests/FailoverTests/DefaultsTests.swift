import Completions
import Testing

@testable import Failover

/// The engine's own defaults are the config's: both come from `EngineDefaults` and
/// `PolicyDefaults` (the README's config reference is checked against them in `JobsTests`).
@Suite("Engine defaults come from one place")
struct DefaultsTests {
    @Test("breaker, budgets and adaptive concurrency")
    func engineDefaults() {
        let configuration = EngineConfiguration()
        let breaker = configuration.breaker
        #expect(breaker.consecutiveFailures == EngineDefaults.breakerFailures)
        #expect(breaker.failureRatio == EngineDefaults.breakerFailureRatio)
        #expect(breaker.window == .seconds(EngineDefaults.breakerWindowSeconds))
        #expect(breaker.minimumCalls == EngineDefaults.breakerMinCalls)
        #expect(breaker.cooldown == .milliseconds(EngineDefaults.breakerCooldownMs))
        #expect(breaker.maxCooldown == .milliseconds(EngineDefaults.breakerMaxCooldownMs))
        #expect(breaker.halfOpenProbes == EngineDefaults.halfOpenProbes)
        // The values the README documents (engine.breaker_cooldown_ms 5000, breaker_max_cooldown_ms 60000).
        #expect(breaker.cooldown == .seconds(5))
        #expect(breaker.maxCooldown == .seconds(60))
        #expect(configuration.retryBudget.ratio == EngineDefaults.retryBudgetRatio)
        #expect(configuration.retryBudget.minimumPerSecond == Double(EngineDefaults.retryBudgetFloorPerSecond))
        #expect(configuration.retryBudget.window == .seconds(EngineDefaults.retryBudgetWindowSeconds))
        #expect(configuration.hedgeBudget.ratio == EngineDefaults.hedgeBudgetRatio)
        #expect(configuration.adaptiveConcurrency == EngineDefaults.adaptiveConcurrency)
    }

    @Test("the policy's defaults")
    func policyDefaults() {
        let policy = FailoverPolicy()
        #expect(policy.maxAttempts == PolicyDefaults.maxAttempts)
        #expect(policy.attemptTimeout == .milliseconds(PolicyDefaults.attemptTimeoutMs))
        #expect(policy.deadline == .milliseconds(PolicyDefaults.deadlineMs))
        #expect(policy.hedgeAfter == nil)
        #expect(policy.failOverOn == PolicyDefaults.failOverOn)
        #expect(policy.maxRetryWait == .milliseconds(PolicyDefaults.maxRetryWaitMs))
        #expect(policy.backoffBase == .milliseconds(PolicyDefaults.backoffBaseMs))
        #expect(policy.backoffCap == .milliseconds(PolicyDefaults.backoffCapMs))
    }

    @Test("the retry budget's floor is per second: 10 per second over a 10 s window allows 100 retries with no traffic")
    func retryFloorPerSecond() {
        var budget = RetryBudget()
        var allowed = 0
        while budget.tryRetry(at: .seconds(1)) { allowed += 1 }
        #expect(allowed == EngineDefaults.retryBudgetFloorPerSecond * EngineDefaults.retryBudgetWindowSeconds)
    }
}
