import Completions

/// One entry of the `workloads` section: the ordered approved routes (primary first) and the
/// policy jobs of this workload run under unless they override it.
public struct WorkloadConfig: Sendable, Hashable {
    /// The workload's name: its key under `workloads`, what jobs name in `workload`.
    public var name: String
    /// Approved routes in order; a job may list only these, and runs them all when it lists none.
    public var routes: [RouteName]
    /// Defaults overridden by the workload's `policy`.
    public var policy: WorkloadPolicy

    public init(name: String, routes: [RouteName], policy: WorkloadPolicy = .defaults) {
        self.name = name
        self.routes = routes
        self.policy = policy
    }

    static func read(
        name: String,
        _ value: JSONValue,
        _ path: FieldPath,
        providers: [String: ProviderConfig]
    ) throws(FieldError) -> WorkloadConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["routes", "policy"])
        let routes = try object.required("routes", RouteName.readList)
        for (index, route) in routes.enumerated() where providers[route.provider] == nil {
            throw .invalid(
                path.appending("routes").appending(index: index).appending("provider"),
                "\"\(route.provider)\" is not a provider defined under providers"
            )
        }
        let policy = try object.optional("policy", readPolicy) ?? .defaults
        return WorkloadConfig(name: name, routes: routes, policy: policy)
    }

    private static func readPolicy(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> WorkloadPolicy {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown([
            "max_attempts", "attempt_timeout_ms", "deadline_ms", "hedge_after_ms", "fail_over_on", "max_retry_wait_ms",
            "backoff_base_ms", "backoff_cap_ms",
        ])
        let d = WorkloadPolicy.defaults
        let policy = WorkloadPolicy(
            maxAttempts: try object.optional("max_attempts", Read.integer(in: 1...100)) ?? d.maxAttempts,
            attemptTimeoutMs: try object.optional("attempt_timeout_ms", Read.integer(in: 1...Int.max)) ?? d.attemptTimeoutMs,
            deadlineMs: try object.optional("deadline_ms", Read.integer(in: 1...Int.max)) ?? d.deadlineMs,
            hedgeAfterMs: try object.optional("hedge_after_ms", Read.integer(in: 1...Int.max)),
            failOverOn: try object.optional("fail_over_on", WorkloadPolicy.readFailOverOn).map(Set.init) ?? d.failOverOn,
            maxRetryWaitMs: try object.optional("max_retry_wait_ms", Read.integer(in: 0...Int.max)) ?? d.maxRetryWaitMs,
            backoffBaseMs: try object.optional("backoff_base_ms", Read.integer(in: 1...Int.max)) ?? d.backoffBaseMs,
            backoffCapMs: try object.optional("backoff_cap_ms", Read.integer(in: 1...Int.max)) ?? d.backoffCapMs
        )
        if policy.backoffCapMs < policy.backoffBaseMs {
            throw .invalid(
                path.appending("backoff_cap_ms"),
                "must be at least backoff_base_ms (\(policy.backoffBaseMs)), got \(policy.backoffCapMs)"
            )
        }
        return policy
    }
}
