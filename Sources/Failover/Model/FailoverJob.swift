import Completions

/// One unit of work for the engine: a normalized request, its approved routes in order of
/// preference, and its policy.
package struct FailoverJob: Sendable {
    /// The job id (telemetry key).
    package var id: String
    /// The workload the job belongs to (for telemetry and per-workload policy).
    package var workload: String
    package var request: CompletionRequest
    /// Approved routes, primary first; each `index` is its position in this list.
    package var routes: [RouteTarget]
    package var policy: FailoverPolicy

    /// Where this job's attempt events go; `nil` sends them to the engine's sink. (Breaker
    /// changes always go to the engine's sink: they belong to no single job.)
    package var events: (any FailoverEventSink)?

    package init(
        id: String, workload: String, request: CompletionRequest, routes: [RouteTarget], policy: FailoverPolicy = FailoverPolicy(),
        events: (any FailoverEventSink)? = nil
    ) {
        self.events = events
        self.id = id
        self.workload = workload
        self.request = request
        self.routes = routes
        self.policy = policy
    }
}
