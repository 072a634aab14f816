/// How one provider call ended: the vocabulary shared by the engine's decisions, the telemetry
/// topic and the dashboards. Raw values are the wire names of `telemetry.v1.json`.
package enum Outcome: String, Sendable, Hashable, Codable, CaseIterable {
    case ok
    /// The attempt timeout passed before an answer.
    case timeout
    /// Refused, reset, DNS, TLS, or a body cut short.
    case connection
    /// 429.
    case rateLimited = "rate_limited"
    /// 529, and 503 from providers that mean it so.
    case overloaded
    /// Other 5xx.
    case serverError = "server_error"
    /// The request itself is wrong (400, 404, 413, 422).
    case clientError = "client_error"
    /// 401, 403, and a route that can no longer bill.
    case authError = "auth_error"
    /// Unparseable, wrong-shaped, empty, or failing the job's `response_format`.
    case invalidOutput = "invalid_output"
    /// Skipped without a call because the route's breaker is open.
    case circuitOpen = "circuit_open"
    /// Cancelled because another call won a hedge or the job ended.
    case cancelled
}
