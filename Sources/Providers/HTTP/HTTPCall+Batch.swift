import Completions
import Foundation
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

    /// The results in `lines` (one delivery of a batch's results file) read with `read`, every
    /// failure redacted; lines that could not be read (billed, perhaps, but lost to their jobs,
    /// which the caller then fails over) are logged.
    func results(_ lines: [Data], batchID: String, reading read: (JSONValue) -> BatchItemResult?) -> [BatchItemResult] {
        var results: [BatchItemResult] = []
        results.reserveCapacity(lines.count)
        var unreadable = 0
        for line in lines {
            guard let document = try? JSONParser.parse(line), var result = read(document) else {
                unreadable += 1
                continue
            }
            if case .errored(let failure) = result.outcome { result.outcome = .errored(redacted(failure)) }
            results.append(result)
        }
        if unreadable > 0 {
            logger.warning(
                "batch results had lines that could not be read",
                metadata: ["provider": "\(providerName)", "batch": "\(batchID)", "lines": "\(unreadable)"])
        }
        return results
    }
}
