/// Why a job failed: a class from a fixed, extensible vocabulary and a human-readable message.
///
/// Guarantees: `message` is built from the provider's own message or the engine's words, never
/// from a key, a token or a header.
public struct FailoverError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error class, as the result's `error.class` spells it. A struct, not an enum, so new
    /// classes do not break callers.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The job's deadline passed; in-flight calls were cancelled.
        public static let deadlineExceeded = Code(rawValue: "deadline_exceeded")
        /// `max_attempts` calls were made without a valid answer.
        public static let attemptsExhausted = Code(rawValue: "attempts_exhausted")
        /// An outcome that must not move the job on (a bad request, or one not in `fail_over_on`).
        public static let notRetryable = Code(rawValue: "not_retryable")
        /// No route could be called before the deadline (breakers open, cooling, unknown provider).
        public static let allRoutesUnavailable = Code(rawValue: "all_routes_unavailable")
        /// The task running the job was cancelled.
        public static let cancelled = Code(rawValue: "cancelled")
    }

    public var errorClass: Code
    public var message: String

    public init(_ errorClass: Code, message: String) {
        self.errorClass = errorClass
        self.message = message
    }

    public var description: String { "\(errorClass): \(message)" }
}
