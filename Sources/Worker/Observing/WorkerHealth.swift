/// What the worker says of itself to a probe (`/healthz`, `/readyz`).
///
/// - Alive: no fatal error, and the commit loop has turned recently (a worker whose loops stopped
///   turning is restarted by its orchestrator, not left standing).
/// - Ready: it started its Kafka clients (so the config loaded and the broker answered), it joined
///   its group (partitions assigned, or none left for it and it waits), and it is neither failed
///   nor shutting down.
package struct WorkerHealth: Sendable, Hashable {
    package var alive: Bool
    package var ready: Bool
    /// Why it is not alive or not ready; empty when both hold.
    package var detail: String

    package init(alive: Bool, ready: Bool, detail: String) {
        self.alive = alive
        self.ready = ready
        self.detail = detail
    }
}
