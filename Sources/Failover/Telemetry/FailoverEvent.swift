/// Everything the engine reports while it runs jobs. The worker maps these to telemetry
/// messages (and adds the `job` event from the ``FailoverResult``).
package enum FailoverEvent: Sendable, Hashable {
    case attempt(AttemptEvent)
    case circuit(CircuitEvent)
    /// A job of `workload` would have retried a route, and the process-wide retry budget refused
    /// it (the job failed over, backed off or gave up instead). Goes to the engine's sink.
    case retryRefused(workload: String)
}
