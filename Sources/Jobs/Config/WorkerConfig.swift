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
    /// Where the status server listens (`/metrics`, `/healthz`, `/readyz`), `host:port`; `nil`: off.
    package var httpListen: HostPort?
    /// How log lines are written (`log_format`): one JSON object per line, or text.
    package var logFormat: LogFormat
    /// The least level logged (`log_level`); `$LOG_LEVEL` overrides it.
    package var logLevel: String
    /// Span export over OTLP/HTTP (`tracing`); `nil`: no spans.
    package var tracing: TracingConfig?

    /// `worker.log_format`.
    package enum LogFormat: String, Sendable, Hashable, CaseIterable {
        case text
        case json
    }

    /// A listen address: a host (an IP address or a name) and a port (0: any free port).
    package struct HostPort: Sendable, Hashable, CustomStringConvertible {
        package var host: String
        package var port: Int

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        /// Reads `host:port` (`[v6]:port` for an IPv6 address).
        static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> HostPort {
            let text = try Read.nonEmptyString(value, path)
            guard let colon = text.lastIndex(of: ":") else {
                throw .invalid(path, expected: "host:port (for example 0.0.0.0:9464)", got: value)
            }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, host.utf8.count <= 253, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port)
            else {
                throw .invalid(path, expected: "host:port with a port from 0 to 65535 (for example 0.0.0.0:9464)", got: value)
            }
            return HostPort(host: host, port: port)
        }
    }

    /// The log levels `log_level` accepts, as swift-log names them.
    package static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    package static let defaultMaxMessageBytes = 1_048_576

    package init(
        maxInFlight: Int = 256,
        maxMessageBytes: Int = WorkerConfig.defaultMaxMessageBytes,
        shutdownGraceSeconds: Int = 30,
        commitIntervalMs: Int = 100,
        revokeGraceMs: Int = 5_000,
        httpListen: HostPort? = nil,
        logFormat: LogFormat = .text,
        logLevel: String = "info",
        tracing: TracingConfig? = nil
    ) {
        self.tracing = tracing
        self.httpListen = httpListen
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.maxInFlight = maxInFlight
        self.maxMessageBytes = maxMessageBytes
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.commitIntervalMs = commitIntervalMs
        self.revokeGraceMs = revokeGraceMs
    }

    static func read(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> WorkerConfig {
        let object = try ObjectReader(value, at: path)
        try object.rejectUnknown([
            "max_in_flight", "max_message_bytes", "shutdown_grace_seconds", "commit_interval_ms", "revoke_grace_ms", "http_listen",
            "log_format", "log_level", "tracing",
        ])
        let defaults = WorkerConfig()
        return WorkerConfig(
            maxInFlight: try object.optional("max_in_flight", Read.integer(in: 1...1_000_000)) ?? defaults.maxInFlight,
            maxMessageBytes: try object.optional("max_message_bytes", Read.integer(in: 1_024...1_000_000_000))
                ?? defaults.maxMessageBytes,
            shutdownGraceSeconds: try object.optional("shutdown_grace_seconds", Read.integer(in: 0...86_400))
                ?? defaults.shutdownGraceSeconds,
            commitIntervalMs: try object.optional("commit_interval_ms", Read.integer(in: 1...3_600_000)) ?? defaults.commitIntervalMs,
            revokeGraceMs: try object.optional("revoke_grace_ms", Read.integer(in: 0...3_600_000)) ?? defaults.revokeGraceMs,
            httpListen: try object.optional("http_listen", HostPort.read),
            logFormat: try object.optional("log_format", Read.oneOf(LogFormat.self)) ?? defaults.logFormat,
            logLevel: try object.optional("log_level", Read.oneOf(logLevels) { logLevels.contains($0) ? $0 : nil }) ?? defaults.logLevel,
            tracing: try object.optional("tracing", TracingConfig.read)
        )
    }
}
