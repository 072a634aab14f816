/// A batch submission that failed before the request that creates the batch went out: a batch
/// refused by its own limits, or OpenAI's file upload or wait for the uploaded file. Whatever
/// the failure, even one that had no answer, no batch exists, so the same jobs can be
/// submitted again without running twice.
///
/// A ``ProviderFailure`` thrown by ``BatchCompletionProvider/submitBatch(_:model:timeout:)``
/// without an HTTP status, by contrast, leaves the batch in doubt: the create went out and the
/// provider may have taken it.
package struct BatchNotCreated: Error, Sendable, CustomStringConvertible {
    /// Why the submission failed (already scrubbed of secrets, like every failure of a call).
    package var failure: ProviderFailure

    package init(_ failure: ProviderFailure) {
        self.failure = failure
    }

    package var description: String { "no batch was created: \(failure.message)" }
}
