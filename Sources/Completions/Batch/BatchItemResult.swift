/// How one request of a provider batch ended, matched to its request by `customID`.
package struct BatchItemResult: Sendable, Hashable {
    package enum Outcome: Sendable, Hashable {
        /// The provider answered; the answer is checked and priced like a realtime one.
        case succeeded(CompletionResponse)
        /// The request failed inside the batch, classified like a realtime failure.
        case errored(ProviderFailure)
        /// The batch was cancelled before this request ran.
        case canceled
        /// The batch's 24 hours ran out before this request ran.
        case expired
    }

    /// The id the request was submitted under (understudy uses the job id).
    package var customID: String
    package var outcome: Outcome

    package init(customID: String, outcome: Outcome) {
        self.customID = customID
        self.outcome = outcome
    }
}
