import Completions
import Logging

/// What a batch API returns rather than throws, made as safe as a thrown failure: secrets
/// redacted, and lines that could not be read reported.
extension HTTPCall {
    /// `batch` with its failure message redacted.
    func redacted(_ batch: ProviderBatch) -> ProviderBatch {
        var batch = batch
        batch.failureMessage = batch.failureMessage.map(authorizer.redact)
        return batch
    }

    /// The results of batch `batchID` with every failure redacted; `unreadable` lines (billed,
    /// perhaps, but lost to their jobs, which the caller then fails over) are logged.
    func delivered(_ results: [BatchItemResult], unreadable: Int, batchID: String) -> [BatchItemResult] {
        if unreadable > 0 {
            logger.warning(
                "batch results had lines that could not be read",
                metadata: ["provider": "\(providerName)", "batch": "\(batchID)", "lines": "\(unreadable)"])
        }
        return results.map { result in
            guard case .errored(let failure) = result.outcome else { return result }
            return BatchItemResult(customID: result.customID, outcome: .errored(redacted(failure)))
        }
    }
}
