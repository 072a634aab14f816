import Completions

/// The bookkeeping of one job while the engine runs it (local to `run`, never shared).
struct JobRun: Sendable {
    let job: FailoverJob
    /// Providers the engine does not know, by route index.
    let unknown: RouteSet
    /// Calls started (hedges included).
    var calls = 0
    /// Routes the job has called.
    var tried = RouteSet()
    var usage = CompletionResponse.Usage(inputTokens: 0, outputTokens: 0)
    var costUSD = 0.0
    /// Backoff waits so far (the exponent of the next one).
    var backoffSteps = 0
    /// The last failure, for the final error message.
    var lastFailure: (route: RouteTarget, failure: ProviderFailure)?
    /// Skips already reported, so a waiting job does not repeat them.
    var reportedSkips: [(index: Int, standing: RoutePlan.Standing)] = []

    init(job: FailoverJob, unknown: RouteSet) {
        self.job = job
        self.unknown = unknown
    }

    mutating func add(_ usage: CompletionResponse.Usage, cost: Double) {
        self.usage.add(usage)
        costUSD += cost
    }

    /// Whether a skip of `index` with `standing` is new for this job (and remembers it).
    mutating func isNewSkip(_ index: Int, _ standing: RoutePlan.Standing) -> Bool {
        if let position = reportedSkips.firstIndex(where: { $0.index == index }) {
            if reportedSkips[position].standing == standing { return false }
            reportedSkips[position].standing = standing
            return true
        }
        reportedSkips.append((index, standing))
        return true
    }

    /// A message for a failed job, built from the last provider message (never a secret). Its
    /// length is bounded: the provider's part is a ``ProviderFailure/message``, itself cut to
    /// ``ProviderFailure/maxMessageBytes``; the rest is the engine's words and the route's names.
    func message(_ prefix: String) -> String {
        guard let (route, failure) = lastFailure else { return prefix }
        return "\(prefix); last failure on \(route.provider)/\(route.model): \(failure.outcome.rawValue): \(failure.message)"
    }
}
