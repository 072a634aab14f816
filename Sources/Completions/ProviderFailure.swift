/// A classified failure of one provider call: what every adapter throws, and all the engine needs
/// to decide between retrying, failing over and giving up.
///
/// `message` is the provider's error text or a transport description; adapters must never put a
/// key, a token or an authorization header in it.
public struct ProviderFailure: Error, Sendable, Hashable {
    /// The outcome class (never `.ok`, `.circuitOpen` or `.cancelled`).
    public var outcome: Outcome
    /// The HTTP status, when the provider answered.
    public var httpStatus: Int?
    /// The provider's own error type (`overloaded_error`, `ThrottlingException`, ...).
    public var providerErrorType: String?
    public var message: String
    /// How long the provider asked to wait (`retry-after`, `retry-after-ms`, a reset header).
    public var retryAfter: Duration?
    /// True for a client error that only this route has (model not found, context too long for
    /// this model, a filter another provider may not share): fail over instead of failing the job.
    public var isRouteSpecific: Bool

    public init(
        outcome: Outcome,
        httpStatus: Int? = nil,
        providerErrorType: String? = nil,
        message: String,
        retryAfter: Duration? = nil,
        isRouteSpecific: Bool = false
    ) {
        self.outcome = outcome
        self.httpStatus = httpStatus
        self.providerErrorType = providerErrorType
        self.message = message
        self.retryAfter = retryAfter
        self.isRouteSpecific = isRouteSpecific
    }
}
