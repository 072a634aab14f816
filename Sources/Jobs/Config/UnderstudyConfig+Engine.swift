import Failover

extension UnderstudyConfig {
    /// The failover engine's process-wide configuration, from the config's `engine`, `providers`
    /// and `pricing` sections: mapped once, here, for every command that runs the engine.
    package var engineConfiguration: EngineConfiguration {
        let config = self
        let engine = config.engine
        var slowAfter: [RouteKey: Duration] = [:]
        for workload in config.workloads.values {
            for route in workload.routes {
                if let ms = config.providers[route.provider]?.slowAfterMs {
                    slowAfter[route] = .milliseconds(ms)
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
