import Comparison
import Completions
import Failover

/// One entry of the `workloads` section: the ordered approved routes (primary first), the
/// policy jobs of this workload run under unless they override it, and the limits of what a
/// job may ask for (the policy itself sits within them).
package struct WorkloadConfig: Sendable, Hashable {
    /// The workload's name: its key under `workloads`, what jobs name in `workload`.
    package var name: String
    /// Approved routes in order; a job may list only these, and runs them all when it lists none.
    package var routes: [RouteKey]
    /// Defaults overridden by the workload's `policy`.
    package var policy: FailoverPolicy
    /// The most a job of this workload may ask for (`limits`).
    package var limits: JobLimits
    /// What a backup must stay within, against the primary, for `understudy compare` to pass it
    /// (`validation`).
    package var validation: ComparisonThresholds
    /// Live jobs the worker also sends to shadow routes, to keep comparing (`shadow`); `nil`: none.
    package var shadow: ShadowConfig?
    /// The route `understudy compare` asks whether a backup's answer says the same thing as the
    /// primary's (`validation.judge`); `nil`: no judge.
    package var judge: RouteKey?
    /// The most the fleet may spend on this workload per window (`budget`); `nil`: no cap.
    package var budget: BudgetConfig?
    /// A jobs topic of this workload's own (`jobs_topic`), read besides `kafka.topics.jobs`; over
    /// its budget, its partitions are paused rather than its jobs moved. `nil`: none.
    package var jobsTopic: String?
    /// Whether jobs' system prompts are marked for the provider's prompt cache (`prompt_cache`).
    package var promptCache: PromptCache
    /// Jobs that can wait go to a provider's batch API (`batch`); `nil`: all run realtime.
    package var batch: BatchConfig?

    package init(
        name: String, routes: [RouteKey], policy: FailoverPolicy = .defaults, limits: JobLimits = .defaults,
        validation: ComparisonThresholds = .defaults, shadow: ShadowConfig? = nil, judge: RouteKey? = nil, budget: BudgetConfig? = nil,
        jobsTopic: String? = nil, promptCache: PromptCache = .auto, batch: BatchConfig? = nil
    ) {
        self.name = name
        self.routes = routes
        self.policy = policy
        self.limits = limits
        self.validation = validation
        self.shadow = shadow
        self.judge = judge
        self.budget = budget
        self.jobsTopic = jobsTopic
        self.promptCache = promptCache
        self.batch = batch
    }

    static func read(
        name: String,
        _ value: JSONValue,
        _ path: FieldPath,
        providers: [String: ProviderConfig]
    ) throws(FieldError) -> WorkloadConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["routes", "policy", "limits", "validation", "shadow", "budget", "jobs_topic", "prompt_cache", "batch"])
        let routes = try object.required("routes", RouteKey.readList)
        for (index, route) in routes.enumerated() where providers[route.provider] == nil {
            throw .invalid(
                path.appending("routes").appending(index: index).appending("provider"),
                "\"\(route.provider)\" is not a provider defined under providers"
            )
        }
        let limits = try object.optional("limits", JobLimits.read) ?? .defaults
        let policyObject = try object.optional("policy") { (value: JSONValue, path: FieldPath) throws(FieldError) in
            try ObjectReader(value, at: path)
        }
        let policy = try policyObject.map(readPolicy) ?? .defaults
        // The workload's own policy, defaults included, must sit within its limits: a job that
        // sets nothing is then always within them.
        let policyPath = path.appending("policy")
        let checks = limits.checks(
            maxAttempts: policy.maxAttempts, attemptTimeoutMs: Int(clamping: policy.attemptTimeout.milliseconds),
            deadlineMs: Int(clamping: policy.deadline.milliseconds), hedgeAfterMs: policy.hedgeAfter.map { Int(clamping: $0.milliseconds) }
        )
        for check in checks where check.value > check.limit {
            let written = policyObject?.contains(check.field) ?? false
            throw .invalid(
                policyPath.appending(check.field),
                (written ? "\(check.value)" : "the default \(check.value)")
                    + " is over \(path.appending("limits").appending(check.limitKey)) (\(check.limit))"
                    + (written ? "" : "; set \(policyPath.appending(check.field)) within it")
            )
        }
        let validation = try object.optional("validation", readValidation) ?? .defaults
        let shadow = try object.optional("shadow") { (value: JSONValue, path: FieldPath) throws(FieldError) in
            try ShadowConfig.read(value, path, workloadRoutes: routes, providers: providers)
        }
        let judge = try object.optional("validation") { (value: JSONValue, path: FieldPath) throws(FieldError) -> RouteKey? in
            guard let route = try ObjectReader(value, at: path).optional("judge", RouteKey.read) else { return nil }
            guard providers[route.provider] != nil else {
                throw .invalid(path.appending("judge").appending("provider"), "\"\(route.provider)\" is not a provider defined under providers")
            }
            return route
        }
        return WorkloadConfig(
            name: name, routes: routes, policy: policy, limits: limits, validation: validation, shadow: shadow, judge: judge ?? nil,
            budget: try object.optional("budget", BudgetConfig.read), jobsTopic: try object.optional("jobs_topic", Read.nonEmptyString),
            promptCache: try object.optional("prompt_cache", Read.oneOf(PromptCache.self)) ?? .auto,
            batch: try object.optional("batch") { (value: JSONValue, path: FieldPath) throws(FieldError) in
                try BatchConfig.read(value, path, providers: providers)
            })
    }

    /// Reads `validation`: each threshold optional, within a range that keeps it meaningful.
    private static func readValidation(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> ComparisonThresholds {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["max_latency_p95_ratio", "max_cost_ratio", "min_similarity", "max_error_rate", "min_schema_valid", "judge"])
        let d = ComparisonThresholds.defaults
        return ComparisonThresholds(
            maxLatencyP95Ratio: try object.optional("max_latency_p95_ratio", Read.number(in: 0.01...1_000)) ?? d.maxLatencyP95Ratio,
            maxCostRatio: try object.optional("max_cost_ratio", Read.number(in: 0.01...1_000)) ?? d.maxCostRatio,
            minSimilarity: try object.optional("min_similarity", Read.number(in: 0...1)) ?? d.minSimilarity,
            maxErrorRate: try object.optional("max_error_rate", Read.number(in: 0...1)) ?? d.maxErrorRate,
            minSchemaValid: try object.optional("min_schema_valid", Read.number(in: 0...1)) ?? d.minSchemaValid
        )
    }

    private static func readPolicy(_ object: ObjectReader) throws(FieldError) -> FailoverPolicy {
        let path = object.path
        try object.rejectUnknown([
            "max_attempts", "attempt_timeout_ms", "deadline_ms", "hedge_after_ms", "fail_over_on", "max_retry_wait_ms",
            "backoff_base_ms", "backoff_cap_ms",
        ])
        let d = FailoverPolicy.defaults
        let milliseconds = { (key: String, range: ClosedRange<Int>) throws(FieldError) -> Duration? in
            try object.optional(key, Read.integer(in: range)).map { .milliseconds($0) }
        }
        let policy = FailoverPolicy(
            maxAttempts: try object.optional("max_attempts", Read.integer(in: 1...JobLimits.hardMaxAttempts)) ?? d.maxAttempts,
            attemptTimeout: try milliseconds("attempt_timeout_ms", 1...JobLimits.hardMaxAttemptTimeoutMs) ?? d.attemptTimeout,
            deadline: try milliseconds("deadline_ms", 1...JobLimits.hardMaxDeadlineMs) ?? d.deadline,
            hedgeAfter: try milliseconds("hedge_after_ms", 1...JobLimits.hardMaxAttemptTimeoutMs),
            failOverOn: try object.optional("fail_over_on", FailoverPolicy.readFailOverOn).map(Set.init) ?? d.failOverOn,
            maxRetryWait: try milliseconds("max_retry_wait_ms", 0...JobLimits.hardMaxDeadlineMs) ?? d.maxRetryWait,
            backoffBase: try milliseconds("backoff_base_ms", 1...JobLimits.hardMaxDeadlineMs) ?? d.backoffBase,
            backoffCap: try milliseconds("backoff_cap_ms", 1...JobLimits.hardMaxDeadlineMs) ?? d.backoffCap
        )
        if policy.backoffCap < policy.backoffBase {
            throw .invalid(
                path.appending("backoff_cap_ms"),
                "must be at least backoff_base_ms (\(policy.backoffBase.milliseconds)), got \(policy.backoffCap.milliseconds)"
            )
        }
        return policy
    }
}
