import Completions

/// The decision table, in one place: how an HTTP answer maps to an outcome class, what each
/// outcome does to the route's health, and whether a failed attempt retries the same route,
/// fails over, or ends the job. Pure functions, tested row by row.
///
/// The decision rows (``decide(_:policy:context:)``), in order:
///
/// | # | failure | verdict |
/// |---|---------|---------|
/// | 1 | `client_error`, not route-specific | give up, `not_retryable` |
/// | 2 | outcome not in `fail_over_on` (a route-specific `client_error` always qualifies) | give up, `not_retryable` |
/// | 3 | the attempt was cut by the job's deadline | give up, `deadline_exceeded` |
/// | 4 | no attempts left | give up, `attempts_exhausted` |
/// | 5 | any outcome with `retry-after` > `max_retry_wait`, or not fitting the deadline | fail over at once; the route cools down for as long as asked |
/// | 6 | `rate_limited` with `retry-after` ≤ `max_retry_wait`, retry budget left | retry the same route after `retry-after` |
/// | 7 | `connection`, `server_error`, `overloaded`, `rate_limited` (no `retry-after`), another untried route callable | fail over at once |
/// | 8 | same outcomes, no untried route, retry budget left | retry the same route after a backoff (at least any `retry-after`) |
/// | 9 | `timeout`, `invalid_output`, `auth_error`, route-specific `client_error`, or a retry refused by the budget | fail over: at once to an untried route, else after a backoff |
///
/// A wait that would end past the deadline gives up with `deadline_exceeded`.
package enum OutcomeClassification {
    /// Maps one HTTP error answer to an outcome and whether it is specific to the route.
    ///
    /// - 401, 403, 402, a 400/429 that reports exhausted credit, quota or spend limit → `auth_error`
    ///   (the route can no longer bill: fail over and open its breaker).
    /// - 429 → `rate_limited`; 529 → `overloaded`; 503 → `overloaded` when the provider means it
    ///   so (`overloadedOn503`, or an error type naming overload), else `server_error`.
    /// - 408 → `timeout`; other 5xx → `server_error`.
    /// - 404 → `client_error`, route-specific (model not found); 400/413/422 naming the context
    ///   length or the model → `client_error`, route-specific; other 4xx → `client_error`.
    package static func classify(
        httpStatus: Int,
        providerErrorType: String? = nil,
        message: String = "",
        overloadedOn503: Bool = false
    ) -> (outcome: Outcome, isRouteSpecific: Bool) {
        let text = ((providerErrorType ?? "") + " " + message).lowercased()
        let cannotBill = ["credit", "spend limit", "spending limit", "billing", "insufficient_quota", "quota exceeded", "payment"]
            .contains { text.contains($0) }
        switch httpStatus {
        case 200..<300: return (.ok, false)
        case 401, 402, 403: return (.authError, false)
        case 408: return (.timeout, false)
        case 429: return cannotBill ? (.authError, false) : (.rateLimited, false)
        case 529: return (.overloaded, false)
        case 503: return overloadedOn503 || text.contains("overload") ? (.overloaded, false) : (.serverError, false)
        case 500..<600: return (.serverError, false)
        case 404: return (.clientError, true)
        case 400..<500:
            if cannotBill { return (.authError, false) }
            let routeSpecific = [
                "context length", "context_length", "context window", "too long", "maximum context", "model_not_found",
                "model not found", "does not support", "not supported by this model", "unknown model",
            ]
            .contains { text.contains($0) }
            return (.clientError, routeSpecific)
        default: return (.serverError, false)
        }
    }

    /// Whether a failure counts against the route's breaker. Bad requests, cancellations and
    /// 429s (handled by cooldown and adaptive concurrency) do not; `auth_error` opens it at once.
    package static func countsAgainstBreaker(_ failure: ProviderFailure) -> Bool {
        switch failure.outcome {
        case .timeout, .connection, .overloaded, .serverError, .invalidOutput, .authError: true
        case .clientError: failure.isRouteSpecific
        case .ok, .rateLimited, .circuitOpen, .cancelled: false
        }
    }

    /// Whether the outcome opens the route's breaker at once.
    package static func opensBreakerAtOnce(_ outcome: Outcome) -> Bool { outcome == .authError }

    /// Whether the outcome asks the provider's adaptive concurrency limit to shrink.
    package static func shrinksConcurrency(_ outcome: Outcome) -> Bool { outcome == .rateLimited || outcome == .overloaded }

    /// Whether the outcome is one a same-route retry can cure.
    package static func isSameRouteRetryable(_ outcome: Outcome) -> Bool {
        switch outcome {
        case .connection, .serverError, .overloaded, .rateLimited: true
        default: false
        }
    }

    /// The cooldown a failure asks for: its `retry-after` when longer than the policy waits out.
    package static func cooldown(for failure: ProviderFailure, policy: FailoverPolicy) -> Duration? {
        guard let retryAfter = failure.retryAfter, retryAfter > policy.maxRetryWait else { return nil }
        return retryAfter
    }

    /// What the engine knows when it decides.
    package struct Context: Sendable, Hashable {
        /// A route this job has not called yet can be called now.
        package var hasUntriedRoute: Bool
        /// Calls left under `max_attempts`.
        package var attemptsLeft: Int
        /// Time left before the job's deadline.
        package var remaining: Duration
        /// The next backoff step (already jittered).
        package var backoff: Duration
        /// The process-wide retry budget has room for one more same-route retry.
        package var retryBudgetLeft: Bool
        /// The attempt ended because the job's deadline passed.
        package var cutByDeadline: Bool

        package init(
            hasUntriedRoute: Bool,
            attemptsLeft: Int,
            remaining: Duration,
            backoff: Duration,
            retryBudgetLeft: Bool = true,
            cutByDeadline: Bool = false
        ) {
            self.hasUntriedRoute = hasUntriedRoute
            self.attemptsLeft = attemptsLeft
            self.remaining = remaining
            self.backoff = backoff
            self.retryBudgetLeft = retryBudgetLeft
            self.cutByDeadline = cutByDeadline
        }
    }

    /// What to do after a failed attempt.
    package enum Verdict: Sendable, Hashable {
        /// End the job with this error class.
        case giveUp(FailoverError.Code)
        /// Call the same route again after `after`.
        case retrySameRoute(after: Duration)
        /// Move on: to an untried route at once (`after` zero), else after `after`; `cooldown`
        /// is how long the failed route asked not to be called.
        case failOver(after: Duration, cooldown: Duration?)

        /// The telemetry decision for the attempt.
        package var decision: Decision {
            switch self {
            case .giveUp: .giveUp
            case .retrySameRoute: .retry
            case .failOver: .failOver
            }
        }
    }

    /// The decision table (see the type's documentation for the rows).
    package static func decide(_ failure: ProviderFailure, policy: FailoverPolicy, context: Context) -> Verdict {
        let outcome = failure.outcome
        // Rows 1 and 2: the request itself is wrong, or the policy does not allow moving on.
        if outcome == .clientError && !failure.isRouteSpecific { return .giveUp(.notRetryable) }
        let eligible = policy.failOverOn.contains(outcome) || (outcome == .clientError && failure.isRouteSpecific)
        guard eligible else { return .giveUp(.notRetryable) }
        // Rows 3 and 4: out of time or out of attempts.
        if context.cutByDeadline { return .giveUp(.deadlineExceeded) }
        guard context.attemptsLeft > 0 else { return .giveUp(.attemptsExhausted) }

        let moveOn: Verdict = context.hasUntriedRoute ? .failOver(after: .zero, cooldown: nil) : .failOver(after: context.backoff, cooldown: nil)
        // Row 5: a long retry-after is for when no other route can serve: fail over and cool down.
        if let retryAfter = failure.retryAfter, retryAfter > policy.maxRetryWait || retryAfter >= context.remaining {
            let after: Duration = context.hasUntriedRoute ? .zero : context.backoff
            return fits(.failOver(after: after, cooldown: retryAfter), context)
        }
        guard isSameRouteRetryable(outcome) else { return fits(moveOn, context) }  // Row 9.
        // Row 6: a short retry-after on a 429 is waited out on the same route.
        if outcome == .rateLimited, let retryAfter = failure.retryAfter {
            return fits(context.retryBudgetLeft ? .retrySameRoute(after: retryAfter) : moveOn, context)
        }
        // Rows 7 and 8: transient trouble. Another route is the fastest cure; else back off.
        if context.hasUntriedRoute { return .failOver(after: .zero, cooldown: nil) }
        guard context.retryBudgetLeft else { return fits(moveOn, context) }
        return fits(.retrySameRoute(after: max(context.backoff, failure.retryAfter ?? .zero)), context)
    }

    private static func fits(_ verdict: Verdict, _ context: Context) -> Verdict {
        switch verdict {
        case .retrySameRoute(let after), .failOver(let after, _):
            after >= context.remaining ? .giveUp(.deadlineExceeded) : verdict
        case .giveUp:
            verdict
        }
    }
}
