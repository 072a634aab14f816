import Completions

/// `fleet.route_health`: breaker state shared by the workers through a compacted topic
/// (`kafka.topics.route_health`), so a route that one worker opened is skipped by all.
///
/// Guarantees: on unless `enabled: false`; `heartbeatMs` in 100...60,000; `ttlMs` (how long a
/// worker's word lasts without a heartbeat) at least twice the heartbeat and at most 60 s (the
/// topic's `min.compaction.lag.ms`: the words share a key per route, and compaction may drop an
/// older one only once it has lapsed);
/// `probeGraceMs` (how long the others wait for the opener's probe after its cooldown) in
/// 0...600,000.
package struct RouteHealthConfig: Sendable, Hashable {
    package static let defaultHeartbeatMs = 1_000
    package static let defaultTTLMs = 5_000
    package static let defaultProbeGraceMs = 5_000

    /// `enabled`: share breaker state (default true).
    package var enabled: Bool
    /// `heartbeat_ms`: how often a worker repeats the breakers it holds open or half-open.
    package var heartbeatMs: Int
    /// `ttl_ms`: a worker's state expires this long after its last message.
    package var ttlMs: Int
    /// `probe_grace_ms`: after another worker's cooldown ends, how long this one still waits for
    /// that worker's probe to say open or closed.
    package var probeGraceMs: Int

    package init(
        enabled: Bool = true, heartbeatMs: Int = defaultHeartbeatMs, ttlMs: Int = defaultTTLMs, probeGraceMs: Int = defaultProbeGraceMs
    ) {
        self.enabled = enabled
        self.heartbeatMs = heartbeatMs
        self.ttlMs = ttlMs
        self.probeGraceMs = probeGraceMs
    }

    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> RouteHealthConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown(["enabled", "heartbeat_ms", "ttl_ms", "probe_grace_ms"])
        let defaults = RouteHealthConfig()
        let heartbeat = try object.optional("heartbeat_ms", Read.integer(in: 100...60_000)) ?? defaults.heartbeatMs
        let ttl = try object.optional("ttl_ms", Read.integer(in: 200...60_000)) ?? min(60_000, max(defaults.ttlMs, heartbeat * 3))
        guard ttl >= heartbeat * 2 else {
            throw .invalid(path.appending("ttl_ms"), "expected at least twice heartbeat_ms (\(heartbeat * 2)), got \(ttl)")
        }
        return RouteHealthConfig(
            enabled: try object.optional("enabled", Read.bool) ?? defaults.enabled,
            heartbeatMs: heartbeat,
            ttlMs: ttl,
            probeGraceMs: try object.optional("probe_grace_ms", Read.integer(in: 0...600_000)) ?? defaults.probeGraceMs
        )
    }
}
