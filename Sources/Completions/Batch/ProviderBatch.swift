import Foundation

/// One provider batch (Anthropic's Message Batches, OpenAI's and Azure OpenAI's Batch API) as
/// the provider last reported it: its id, where it stands, its request counts, and where its
/// results are once it has ended.
///
/// Guarantees: counts are never negative; `phase` maps every provider status onto the five
/// that matter to a caller deciding what to do next (keep polling, read results, or fail its
/// jobs over).
package struct ProviderBatch: Sendable, Hashable {
    /// Where the batch stands.
    package enum Phase: String, Sendable, Hashable, CaseIterable {
        /// Accepted and running (OpenAI's `validating`, `in_progress` and `finalizing` too).
        case inProgress = "in_progress"
        /// A cancel was asked for; some requests may still finish.
        case canceling
        /// Over: every request succeeded, errored, was cancelled or expired; results can be read.
        case ended
        /// The provider refused or lost the whole batch (OpenAI's `failed`): no results.
        case failed
    }

    /// Requests by how they ended (Anthropic counts every request as processing until the batch
    /// ends; OpenAI counts completed and failed as they go).
    package struct Counts: Sendable, Hashable {
        package var processing: Int
        package var succeeded: Int
        package var errored: Int
        package var canceled: Int
        package var expired: Int

        package init(processing: Int = 0, succeeded: Int = 0, errored: Int = 0, canceled: Int = 0, expired: Int = 0) {
            self.processing = max(0, processing)
            self.succeeded = max(0, succeeded)
            self.errored = max(0, errored)
            self.canceled = max(0, canceled)
            self.expired = max(0, expired)
        }
    }

    package var id: String
    package var phase: Phase
    package var counts: Counts
    /// Where the results are read once the batch has ended: Anthropic's `results_url`, OpenAI's
    /// output file id; `nil` until then (and for a batch that produced none).
    package var results: String?
    /// OpenAI's error file id (requests that failed inside the batch); `nil` elsewhere.
    package var errors: String?
    /// OpenAI's input file id (the uploaded JSONL the batch runs over); `nil` elsewhere.
    package var input: String?
    /// When the provider will give up on the batch (24 h after creation).
    package var expiresAt: Date?
    /// The provider's words on a failed batch; never a secret.
    package var failureMessage: String?

    package init(
        id: String, phase: Phase, counts: Counts = Counts(), results: String? = nil, errors: String? = nil, input: String? = nil,
        expiresAt: Date? = nil, failureMessage: String? = nil
    ) {
        self.id = id
        self.phase = phase
        self.counts = counts
        self.results = results
        self.errors = errors
        self.input = input
        self.expiresAt = expiresAt
        self.failureMessage = failureMessage
    }
}
