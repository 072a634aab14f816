/// The shared health of one route (`provider/model`): its breaker and its latency.
struct RouteHealth: Sendable {
    var breaker: CircuitBreaker
    var latency: LatencyTracker
}
