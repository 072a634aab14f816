import Completions

/// The most a job of one workload may ask for (`workloads.NAME.limits`): the longest `id`, the
/// most attempts, the longest deadline and attempt timeout. ``JobDecoder`` dead-letters a job
/// over one of them as `over_limit`, naming the field and the limit
/// (`routing.deadline_ms: 900000 is over workloads.summaries.limits.max_deadline_ms (600000)`);
/// it never clamps. The workload's own `policy` must sit within its limits (a config error
/// otherwise), so a job that sets nothing is always within them.
///
/// No config may raise a limit above its hard cap (``hardMaxJobIDBytes`` and the others): a
/// config error naming the key. Besides these, every count and size a job can carry has a fixed
/// bound (``maxMessages``, ``maxStopSequences``, ``maxMetadataEntries``, ``maxMetadataBytes``,
/// ``maxSchemaDepth``), checked as part of the schema (`schema_violation`).
package struct JobLimits: Sendable, Hashable {
    /// The longest `id`, in UTF-8 bytes: the id is the key of every record the job produces.
    package var maxJobIDBytes: Int
    /// The most `routing.max_attempts` a job may ask for.
    package var maxAttempts: Int
    /// The longest `routing.deadline_ms` a job may ask for.
    package var maxDeadlineMs: Int
    /// The longest `routing.attempt_timeout_ms` (and `routing.hedge_after_ms`, which can never
    /// fire after the attempt timed out) a job may ask for.
    package var maxAttemptTimeoutMs: Int

    /// `max_job_id_bytes` when the config sets none.
    package static let defaultMaxJobIDBytes = 512
    /// `max_attempts` when the config sets none.
    package static let defaultMaxAttempts = 10
    /// `max_deadline_ms` when the config sets none: one hour.
    package static let defaultMaxDeadlineMs = 3_600_000
    /// `max_attempt_timeout_ms` when the config sets none: ten minutes.
    package static let defaultMaxAttemptTimeoutMs = 600_000

    /// The highest `max_job_id_bytes` a config may set.
    package static let hardMaxJobIDBytes = 4_096
    /// The highest `max_attempts` a config may set.
    package static let hardMaxAttempts = 100
    /// The highest `max_deadline_ms` a config may set: one day.
    package static let hardMaxDeadlineMs = 86_400_000
    /// The highest `max_attempt_timeout_ms` a config may set: one hour.
    package static let hardMaxAttemptTimeoutMs = 3_600_000

    /// The most `input.messages` a job may carry.
    package static let maxMessages = 10_000
    /// The most `input.stop_sequences` a job may carry.
    package static let maxStopSequences = 64
    /// The most top-level entries of a job's `metadata`.
    package static let maxMetadataEntries = 256
    /// The largest `metadata`, as compact JSON (it is echoed on the job's result).
    package static let maxMetadataBytes = 65_536
    /// The deepest nesting of `metadata` and of a `json_schema` response format's `schema`,
    /// in JSON levels (the schema is walked recursively when the output is checked).
    package static let maxSchemaDepth = 64

    package init(
        maxJobIDBytes: Int = JobLimits.defaultMaxJobIDBytes,
        maxAttempts: Int = JobLimits.defaultMaxAttempts,
        maxDeadlineMs: Int = JobLimits.defaultMaxDeadlineMs,
        maxAttemptTimeoutMs: Int = JobLimits.defaultMaxAttemptTimeoutMs
    ) {
        self.maxJobIDBytes = maxJobIDBytes
        self.maxAttempts = maxAttempts
        self.maxDeadlineMs = maxDeadlineMs
        self.maxAttemptTimeoutMs = maxAttemptTimeoutMs
    }

    /// Every default.
    package static let defaults = JobLimits()

    /// The config keys under `limits`.
    static let keys = ["max_job_id_bytes", "max_attempts", "max_deadline_ms", "max_attempt_timeout_ms"]

    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> JobLimits {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(keys)
        let d = JobLimits.defaults
        return JobLimits(
            maxJobIDBytes: try object.optional("max_job_id_bytes", Read.integer(in: 1...hardMaxJobIDBytes)) ?? d.maxJobIDBytes,
            maxAttempts: try object.optional("max_attempts", Read.integer(in: 1...hardMaxAttempts)) ?? d.maxAttempts,
            maxDeadlineMs: try object.optional("max_deadline_ms", Read.integer(in: 1...hardMaxDeadlineMs)) ?? d.maxDeadlineMs,
            maxAttemptTimeoutMs: try object.optional("max_attempt_timeout_ms", Read.integer(in: 1...hardMaxAttemptTimeoutMs))
                ?? d.maxAttemptTimeoutMs
        )
    }

    /// One limit a value is checked against: the value's field and the limit's key.
    struct Check {
        var field: String
        var value: Int
        var limitKey: String
        var limit: Int
    }

    /// The checks of the policy fields a job or a workload sets, in a stable order.
    func checks(maxAttempts attempts: Int?, attemptTimeoutMs: Int?, deadlineMs: Int?, hedgeAfterMs: Int?) -> [Check] {
        var checks: [Check] = []
        if let attempts { checks.append(Check(field: "max_attempts", value: attempts, limitKey: "max_attempts", limit: maxAttempts)) }
        if let attemptTimeoutMs {
            checks.append(
                Check(field: "attempt_timeout_ms", value: attemptTimeoutMs, limitKey: "max_attempt_timeout_ms", limit: maxAttemptTimeoutMs)
            )
        }
        if let deadlineMs {
            checks.append(Check(field: "deadline_ms", value: deadlineMs, limitKey: "max_deadline_ms", limit: maxDeadlineMs))
        }
        if let hedgeAfterMs {
            checks.append(
                Check(field: "hedge_after_ms", value: hedgeAfterMs, limitKey: "max_attempt_timeout_ms", limit: maxAttemptTimeoutMs)
            )
        }
        return checks
    }
}
