/// Everything the engine reports while it runs jobs. The worker maps these to telemetry
/// messages (and adds the `job` event from the ``FailoverResult``).
package enum FailoverEvent: Sendable, Hashable {
    case attempt(AttemptEvent)
    case circuit(CircuitEvent)
}
