/// Why a job failed: a class from a fixed, extensible vocabulary and a human-readable message.
///
/// Guarantees: `message` is built from the provider's own message or the engine's words, never
/// from a key, a token or a header.
package struct FailoverError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The error class, as the result's `error.class` spells it. A struct, not an enum, so new
    /// classes do not break callers.
    package struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// The job's deadline passed; in-flight calls were cancelled.
        package static let deadlineExceeded = Code(rawValue: "deadline_exceeded")
        /// `max_attempts` calls were made without a valid answer.
        package static let attemptsExhausted = Code(rawValue: "attempts_exhausted")
        /// An outcome that must not move the job on (a bad request, or one not in `fail_over_on`).
        package static let notRetryable = Code(rawValue: "not_retryable")
        /// No route could be called before the deadline (breakers open, cooling, unknown provider).
        package static let allRoutesUnavailable = Code(rawValue: "all_routes_unavailable")
        /// The task running the job was cancelled.
        package static let cancelled = Code(rawValue: "cancelled")
    }

    package var errorClass: Code
    package var message: String

    package init(_ errorClass: Code, message: String) {
        self.errorClass = errorClass
        self.message = message
    }

    package var description: String { "\(errorClass): \(message)" }
}
