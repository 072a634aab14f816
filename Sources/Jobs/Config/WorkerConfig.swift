import Completions

/// The `worker` section: concurrency, sizes and timing of the consume-run-publish loop.
package struct WorkerConfig: Sendable, Hashable {
    /// Jobs running at once; at the limit the worker pauses its partitions (and keeps polling).
    package var maxInFlight: Int
    /// Larger job messages are dead-lettered as `too_large`.
    package var maxMessageBytes: Int
    /// How long in-flight jobs may run on after SIGTERM before the process exits.
    package var shutdownGraceSeconds: Int
    /// Stored offsets are committed at least this often.
    package var commitIntervalMs: Int
    /// How long a revoked partition's in-flight jobs may run on before it is given up.
    package var revokeGraceMs: Int

    package static let defaultMaxMessageBytes = 1_048_576

    package init(
        maxInFlight: Int = 256,
        maxMessageBytes: Int = WorkerConfig.defaultMaxMessageBytes,
        shutdownGraceSeconds: Int = 30,
        commitIntervalMs: Int = 100,
        revokeGraceMs: Int = 5_000
    ) {
        self.maxInFlight = maxInFlight
        self.maxMessageBytes = maxMessageBytes
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.commitIntervalMs = commitIntervalMs
        self.revokeGraceMs = revokeGraceMs
    }

    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> WorkerConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["max_in_flight", "max_message_bytes", "shutdown_grace_seconds", "commit_interval_ms", "revoke_grace_ms"])
        let defaults = WorkerConfig()
        return WorkerConfig(
            maxInFlight: try object.optional("max_in_flight", Read.integer(in: 1...1_000_000)) ?? defaults.maxInFlight,
            maxMessageBytes: try object.optional("max_message_bytes", Read.integer(in: 1_024...1_000_000_000))
                ?? defaults.maxMessageBytes,
            shutdownGraceSeconds: try object.optional("shutdown_grace_seconds", Read.integer(in: 0...86_400))
                ?? defaults.shutdownGraceSeconds,
            commitIntervalMs: try object.optional("commit_interval_ms", Read.integer(in: 1...3_600_000)) ?? defaults.commitIntervalMs,
            revokeGraceMs: try object.optional("revoke_grace_ms", Read.integer(in: 0...3_600_000)) ?? defaults.revokeGraceMs
        )
    }
}
