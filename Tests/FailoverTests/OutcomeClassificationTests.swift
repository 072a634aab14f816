import Completions
import Failover
import Testing

@Suite struct OutcomeClassificationTests {
    struct StatusRow: Sendable, CustomTestStringConvertible {
        var status: Int
        var type: String? = nil
        var message: String = ""
        var overloadedOn503 = false
        var outcome: Outcome
        var routeSpecific = false
        var testDescription: String { "\(status) \(type ?? "") \(message) → \(outcome.rawValue)\(routeSpecific ? " (route-specific)" : "")" }
    }

    @Test(arguments: [
        StatusRow(status: 200, outcome: .ok),
        StatusRow(status: 400, type: "invalid_request_error", message: "messages: field required", outcome: .clientError),
        StatusRow(status: 400, message: "This model's maximum context length is 128000 tokens", outcome: .clientError, routeSpecific: true),
        StatusRow(status: 400, message: "prompt is too long", outcome: .clientError, routeSpecific: true),
        StatusRow(status: 400, message: "You have reached your specified API usage spend limit", outcome: .authError),
        StatusRow(status: 400, message: "Your credit balance is too low", outcome: .authError),
        StatusRow(status: 401, outcome: .authError),
        StatusRow(status: 402, outcome: .authError),
        StatusRow(status: 403, outcome: .authError),
        StatusRow(status: 404, message: "model not found", outcome: .clientError, routeSpecific: true),
        StatusRow(status: 408, outcome: .timeout),
        StatusRow(status: 413, outcome: .clientError),
        StatusRow(status: 422, outcome: .clientError),
        StatusRow(status: 429, outcome: .rateLimited),
        StatusRow(status: 429, type: "insufficient_quota", outcome: .authError),
        StatusRow(status: 500, outcome: .serverError),
        StatusRow(status: 502, outcome: .serverError),
        StatusRow(status: 503, outcome: .serverError),
        StatusRow(status: 503, overloadedOn503: true, outcome: .overloaded),
        StatusRow(status: 503, type: "overloaded_error", outcome: .overloaded),
        StatusRow(status: 504, outcome: .serverError),
        StatusRow(status: 529, outcome: .overloaded),
    ])
    func classifiesStatus(row: StatusRow) {
        let (outcome, routeSpecific) = OutcomeClassification.classify(
            httpStatus: row.status, providerErrorType: row.type, message: row.message, overloadedOn503: row.overloadedOn503)
        #expect(outcome == row.outcome)
        #expect(routeSpecific == row.routeSpecific)
    }

    struct DecisionRow: Sendable, CustomTestStringConvertible {
        var name: String
        var failure: ProviderFailure
        var policy = FailoverPolicy()
        var context = OutcomeClassification.Context(hasUntriedRoute: true, attemptsLeft: 3, remaining: .seconds(60), backoff: .milliseconds(100))
        var verdict: OutcomeClassification.Verdict
        var testDescription: String { name }
    }

    static let noUntried = OutcomeClassification.Context(
        hasUntriedRoute: false, attemptsLeft: 3, remaining: .seconds(60), backoff: .milliseconds(100))
    static let noBudget = OutcomeClassification.Context(
        hasUntriedRoute: false, attemptsLeft: 3, remaining: .seconds(60), backoff: .milliseconds(100), retryBudgetLeft: false)

    static func failure(_ outcome: Outcome, retryAfter: Duration? = nil, routeSpecific: Bool = false) -> ProviderFailure {
        ProviderFailure(outcome: outcome, message: "x", retryAfter: retryAfter, isRouteSpecific: routeSpecific)
    }

    @Test(arguments: [
        // Row 1
        DecisionRow(name: "1 bad request gives up", failure: failure(.clientError), verdict: .giveUp(.notRetryable)),
        DecisionRow(
            name: "1 bad request gives up even when fail_over_on names it", failure: failure(.clientError),
            policy: FailoverPolicy(failOverOn: [.clientError]), verdict: .giveUp(.notRetryable)),
        // Row 2
        DecisionRow(
            name: "2 outcome outside fail_over_on gives up", failure: failure(.serverError), policy: FailoverPolicy(failOverOn: [.timeout]),
            verdict: .giveUp(.notRetryable)),
        DecisionRow(
            name: "2 route-specific client error always qualifies", failure: failure(.clientError, routeSpecific: true),
            verdict: .failOver(after: .zero, cooldown: nil)),
        // Row 3
        DecisionRow(
            name: "3 cut by deadline", failure: failure(.timeout),
            context: .init(hasUntriedRoute: true, attemptsLeft: 3, remaining: .zero, backoff: .zero, cutByDeadline: true),
            verdict: .giveUp(.deadlineExceeded)),
        // Row 4
        DecisionRow(
            name: "4 no attempts left", failure: failure(.serverError),
            context: .init(hasUntriedRoute: true, attemptsLeft: 0, remaining: .seconds(60), backoff: .zero), verdict: .giveUp(.attemptsExhausted)),
        // Row 5
        DecisionRow(
            name: "5 long retry-after fails over and cools down", failure: failure(.rateLimited, retryAfter: .seconds(3600)),
            verdict: .failOver(after: .zero, cooldown: .seconds(3600))),
        DecisionRow(
            name: "5 long retry-after on a 529 too", failure: failure(.overloaded, retryAfter: .seconds(30)),
            verdict: .failOver(after: .zero, cooldown: .seconds(30))),
        DecisionRow(
            name: "5 short retry-after not fitting the deadline", failure: failure(.rateLimited, retryAfter: .seconds(2)),
            context: .init(hasUntriedRoute: true, attemptsLeft: 3, remaining: .seconds(1), backoff: .zero),
            verdict: .failOver(after: .zero, cooldown: .seconds(2))),
        // Row 6
        DecisionRow(
            name: "6 short retry-after retries the same route", failure: failure(.rateLimited, retryAfter: .seconds(1)),
            verdict: .retrySameRoute(after: .seconds(1))),
        DecisionRow(
            name: "6 short retry-after without budget fails over", failure: failure(.rateLimited, retryAfter: .seconds(1)),
            context: .init(hasUntriedRoute: true, attemptsLeft: 3, remaining: .seconds(60), backoff: .zero, retryBudgetLeft: false),
            verdict: .failOver(after: .zero, cooldown: nil)),
        // Row 7
        DecisionRow(name: "7 connection fails over", failure: failure(.connection), verdict: .failOver(after: .zero, cooldown: nil)),
        DecisionRow(name: "7 server error fails over", failure: failure(.serverError), verdict: .failOver(after: .zero, cooldown: nil)),
        DecisionRow(name: "7 overloaded fails over", failure: failure(.overloaded), verdict: .failOver(after: .zero, cooldown: nil)),
        DecisionRow(name: "7 429 without retry-after fails over", failure: failure(.rateLimited), verdict: .failOver(after: .zero, cooldown: nil)),
        // Row 8
        DecisionRow(
            name: "8 connection, no other route: backoff retry", failure: failure(.connection), context: noUntried,
            verdict: .retrySameRoute(after: .milliseconds(100))),
        DecisionRow(
            name: "8 overloaded, no other route: at least its retry-after", failure: failure(.overloaded, retryAfter: .seconds(1)),
            context: noUntried, verdict: .retrySameRoute(after: .seconds(1))),
        // Row 9
        DecisionRow(name: "9 timeout fails over", failure: failure(.timeout), verdict: .failOver(after: .zero, cooldown: nil)),
        DecisionRow(name: "9 invalid output fails over", failure: failure(.invalidOutput), verdict: .failOver(after: .zero, cooldown: nil)),
        DecisionRow(name: "9 auth error fails over", failure: failure(.authError), verdict: .failOver(after: .zero, cooldown: nil)),
        DecisionRow(
            name: "9 timeout, no other route: back off then move on", failure: failure(.timeout), context: noUntried,
            verdict: .failOver(after: .milliseconds(100), cooldown: nil)),
        DecisionRow(
            name: "9 retry refused by the budget: back off", failure: failure(.serverError), context: noBudget,
            verdict: .failOver(after: .milliseconds(100), cooldown: nil)),
        DecisionRow(
            name: "wait past the deadline gives up", failure: failure(.serverError),
            context: .init(hasUntriedRoute: false, attemptsLeft: 3, remaining: .milliseconds(50), backoff: .milliseconds(100)),
            verdict: .giveUp(.deadlineExceeded)),
    ])
    func decides(row: DecisionRow) {
        #expect(OutcomeClassification.decide(row.failure, policy: row.policy, context: row.context) == row.verdict)
    }

    @Test func breakerAccounting() {
        #expect(OutcomeClassification.countsAgainstBreaker(Self.failure(.serverError)))
        #expect(OutcomeClassification.countsAgainstBreaker(Self.failure(.timeout)))
        #expect(!OutcomeClassification.countsAgainstBreaker(Self.failure(.clientError)))
        #expect(OutcomeClassification.countsAgainstBreaker(Self.failure(.clientError, routeSpecific: true)))
        #expect(!OutcomeClassification.countsAgainstBreaker(Self.failure(.rateLimited)))
        #expect(OutcomeClassification.opensBreakerAtOnce(.authError))
        #expect(OutcomeClassification.shrinksConcurrency(.rateLimited) && OutcomeClassification.shrinksConcurrency(.overloaded))
        #expect(Decision.failOver.rawValue == "fail_over" && Decision.giveUp.rawValue == "give_up")
        #expect(CircuitState.halfOpen.rawValue == "half_open")
    }
}
