import Failover
import Jobs

/// Maps the config's `engine`, `providers` and `pricing` sections onto the failover engine's
/// process-wide configuration: written once, used by the worker, `compare` and the demo.
public enum EngineSettings {
    public static func configuration(_ config: UnderstudyConfig) -> EngineConfiguration {
        let engine = config.engine
        var slowAfter: [RouteKey: Duration] = [:]
        for workload in config.workloads.values {
            for route in workload.routes {
                if let ms = config.providers[route.provider]?.slowAfterMs {
                    slowAfter[RouteKey(provider: route.provider, model: route.model)] = .milliseconds(ms)
                }
            }
        }
        return EngineConfiguration(
            breaker: .init(
                consecutiveFailures: engine.breakerFailures, failureRatio: engine.breakerFailureRatio,
                window: .seconds(engine.breakerWindowSeconds), minimumCalls: engine.breakerMinCalls,
                cooldown: .milliseconds(engine.breakerCooldownMs), maxCooldown: .milliseconds(engine.breakerMaxCooldownMs),
                halfOpenProbes: engine.halfOpenProbes
            ),
            retryBudget: .init(ratio: engine.retryBudgetRatio, minimumPerSecond: Double(engine.retryBudgetFloor)),
            hedgeBudget: .init(ratio: engine.hedgeBudgetRatio),
            maxConcurrency: config.providers.compactMapValues(\.maxConcurrency),
            adaptiveConcurrency: engine.adaptiveConcurrency,
            prices: config.priceTable,
            slowAfter: slowAfter
        )
    }
}
