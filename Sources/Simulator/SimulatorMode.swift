import Foundation

/// What the simulator does with the next provider request: answer, or fail in one of the ways
/// real providers fail. The JSON/YAML form is what `PUT /_sim/mode` and script steps take:
///
/// ```json
/// {"fault": "error", "status": 429, "retry_after_s": 2, "latency": {"min_ms": 5, "max_ms": 50}}
/// ```
package struct SimulatorMode: Codable, Sendable, Hashable {
    /// The fault names.
    package enum Fault: String, Codable, Sendable, Hashable, CaseIterable {
        /// A deterministic extractive summary with realistic token counts.
        case healthy
        /// An error status (`status`: 429, 529, 500, 503, 401, ...) with the wire's real body and
        /// headers (`retry-after` from `retry_after_s` on 429/503/529).
        case error
        /// Accept the request and never answer (until the simulator stops).
        case blackhole
        /// Send the head and half the body, then drop the connection.
        case reset
        /// A 200 whose body is not valid JSON.
        case malformed
        /// A 200 with valid JSON of the wrong shape.
        case wrongShape = "wrong_shape"
        /// Send the head, then the body a few bytes at a time (`drip_bytes` every `drip_interval_ms`).
        case slowDrip = "slow_drip"
        /// A valid answer of another shape: one prose paragraph that keeps little of what the
        /// healthy answer says (and, for a JSON schema, is not JSON). A backup that "works" but
        /// would quietly change what the application gets back; `compare` must catch it.
        case reshaped
    }

    /// Added delay before the answer: fixed (`ms`), uniform (`min_ms`..`max_ms`) or log-normal
    /// (`median_ms` and `p99_ms`). In YAML and JSON a bare number is a fixed delay in ms.
    package struct Latency: Codable, Sendable, Hashable {
        package var ms: Double?
        package var minMs: Double?
        package var maxMs: Double?
        package var medianMs: Double?
        package var p99Ms: Double?

        enum CodingKeys: String, CodingKey {
            case ms
            case minMs = "min_ms"
            case maxMs = "max_ms"
            case medianMs = "median_ms"
            case p99Ms = "p99_ms"
        }

        package init(ms: Double? = nil, minMs: Double? = nil, maxMs: Double? = nil, medianMs: Double? = nil, p99Ms: Double? = nil) {
            self.ms = ms
            self.minMs = minMs
            self.maxMs = maxMs
            self.medianMs = medianMs
            self.p99Ms = p99Ms
        }

        package init(from decoder: any Decoder) throws {
            if let fixed = try? decoder.singleValueContainer().decode(Double.self) {
                self.init(ms: fixed)
                return
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.init(
                ms: try container.decodeIfPresent(Double.self, forKey: .ms),
                minMs: try container.decodeIfPresent(Double.self, forKey: .minMs),
                maxMs: try container.decodeIfPresent(Double.self, forKey: .maxMs),
                medianMs: try container.decodeIfPresent(Double.self, forKey: .medianMs),
                p99Ms: try container.decodeIfPresent(Double.self, forKey: .p99Ms)
            )
        }

        /// One delay drawn from the distribution (zero when nothing is set).
        package func sample(using generator: inout some RandomNumberGenerator) -> Duration {
            var milliseconds = 0.0
            if let ms {
                milliseconds = ms
            } else if let minMs, let maxMs, maxMs > minMs {
                milliseconds = Double.random(in: minMs...maxMs, using: &generator)
            } else if let minMs {
                milliseconds = minMs
            } else if let medianMs, medianMs > 0 {
                // Log-normal: median e^mu, p99 e^(mu + 2.326 sigma).
                let mu = log(medianMs)
                let sigma = max(0, (log(max(p99Ms ?? medianMs, medianMs)) - mu) / 2.326)
                let u1 = Double.random(in: Double.ulpOfOne..<1, using: &generator)
                let u2 = Double.random(in: 0..<1, using: &generator)
                let normal = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
                milliseconds = exp(mu + sigma * normal)
            }
            return .microseconds(Int64(max(0, min(milliseconds, 3_600_000)) * 1000))
        }
    }

    package var fault: Fault
    package var status: Int?
    package var retryAfterSeconds: Int?
    package var latency: Latency?
    package var dripIntervalMs: Int?
    package var dripBytes: Int?
    /// With `error`: the error message padded to this many bytes (at most 8 MiB), as a provider
    /// that answers with a whole HTML error page does.
    package var errorMessageBytes: Int?

    enum CodingKeys: String, CodingKey {
        case fault, status, latency
        case retryAfterSeconds = "retry_after_s"
        case dripIntervalMs = "drip_interval_ms"
        case dripBytes = "drip_bytes"
        case errorMessageBytes = "error_message_bytes"
    }

    package init(
        fault: Fault = .healthy,
        status: Int? = nil,
        retryAfterSeconds: Int? = nil,
        latency: Latency? = nil,
        dripIntervalMs: Int? = nil,
        dripBytes: Int? = nil,
        errorMessageBytes: Int? = nil
    ) {
        self.fault = fault
        self.status = status
        self.retryAfterSeconds = retryAfterSeconds
        self.latency = latency
        self.dripIntervalMs = dripIntervalMs
        self.dripBytes = dripBytes
        self.errorMessageBytes = errorMessageBytes
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            fault: try container.decodeIfPresent(Fault.self, forKey: .fault) ?? .healthy,
            status: try container.decodeIfPresent(Int.self, forKey: .status),
            retryAfterSeconds: try container.decodeIfPresent(Int.self, forKey: .retryAfterSeconds),
            latency: try container.decodeIfPresent(Latency.self, forKey: .latency),
            dripIntervalMs: try container.decodeIfPresent(Int.self, forKey: .dripIntervalMs),
            dripBytes: try container.decodeIfPresent(Int.self, forKey: .dripBytes),
            errorMessageBytes: try container.decodeIfPresent(Int.self, forKey: .errorMessageBytes)
        )
    }

    /// Healthy, no added latency.
    package static let healthy = SimulatorMode()

    /// An error status, with `retry-after` when `retryAfterSeconds` is set.
    package static func error(_ status: Int, retryAfterSeconds: Int? = nil) -> SimulatorMode {
        SimulatorMode(fault: .error, status: status, retryAfterSeconds: retryAfterSeconds)
    }
}
