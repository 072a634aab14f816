import Synchronization

/// A provider that also takes batches at the batch price: the seam between understudy's batch
/// lane and a provider's batch API (Anthropic's Message Batches; OpenAI's and Azure OpenAI's
/// Batch API).
///
/// Contract: each call is one exchange (or, for results, one download) bounded by `timeout`; a
/// failure throws a ``ProviderFailure`` classified as for realtime calls; nothing retries on its
/// own (the caller polls with backoff and decides what to fail over).
package protocol BatchCompletionProvider: Sendable {
    /// The adapter kind, as the config names it.
    var kind: String { get }
    /// The most one batch may carry.
    var batchLimits: BatchLimits { get }

    /// Submits `requests` to `model` as one batch; each keeps its `customID`. Throws
    /// ``BatchNotCreated`` for a failure it knows came before the create went out (no batch
    /// exists); a ``ProviderFailure`` with an HTTP status when the provider answered that it did
    /// not take the batch; and one without a status otherwise, the batch then in doubt (the
    /// create may have gone out unanswered; a few failures of the call before sending, such as
    /// a request over its size cap, are counted here too, which costs a realtime run, never a
    /// second batch).
    func submitBatch(_ requests: [BatchRequest], model: String, timeout: Duration) async throws -> ProviderBatch
    /// The batch `id` as the provider reports it now.
    func batch(_ id: String, timeout: Duration) async throws -> ProviderBatch
    /// Asks the provider to cancel the batch `id`; requests already running may still finish.
    func cancelBatch(_ id: String, timeout: Duration) async throws -> ProviderBatch
    /// Streams the results of an ended batch, one per request it reports on, to `receive` a
    /// bounded number at a time as the provider's file arrives, waiting for each `receive` before
    /// reading on: a results file of hundreds of megabytes is never held whole. `timeout` bounds
    /// the wait for each file's answer to begin. A failure part-way throws after the results
    /// already handed over; reading again repeats them. An error `receive` throws stops the read
    /// and is rethrown.
    func batchResults(
        of batch: ProviderBatch, timeout: Duration, receive: @escaping @Sendable ([BatchItemResult]) async throws -> Void
    ) async throws
    /// Deletes what the provider stores for the batch `id` once nothing will read it again (its
    /// uploaded input file and its output and error files, where the API keeps such files and
    /// counts them against a quota), and returns how many it deleted; `nil` while the batch has
    /// not finished (running or cancelling: files may still come), with nothing deleted. A file
    /// already gone is not a failure; the batch itself is left as it is.
    func discardFiles(of id: String, timeout: Duration) async throws -> Int?
}

extension BatchCompletionProvider {
    /// Every result of an ended batch in one array: for tests and tools reading small batches;
    /// the batch lane streams (``batchResults(of:timeout:receive:)``).
    package func batchResults(of batch: ProviderBatch, timeout: Duration) async throws -> [BatchItemResult] {
        let collected = CollectedResults()
        try await batchResults(of: batch, timeout: timeout) { results in collected.items.withLock { $0 += results } }
        return collected.items.withLock { $0 }
    }
}

/// The results ``BatchCompletionProvider/batchResults(of:timeout:)`` gathers.
private final class CollectedResults: Sendable {
    let items = Mutex<[BatchItemResult]>([])
}

/// One request of a batch, under the id its result will carry.
package struct BatchRequest: Sendable, Hashable {
    package var customID: String
    package var request: CompletionRequest

    package init(customID: String, request: CompletionRequest) {
        self.customID = customID
        self.request = request
    }
}

/// What one batch may carry: the provider's own limits.
package struct BatchLimits: Sendable, Hashable {
    /// Anthropic: 100,000 requests or 256 MB (taken as decimal megabytes, the smaller reading).
    package static let anthropic = BatchLimits(maxRequests: 100_000, maxBytes: 256_000_000)
    /// OpenAI: 50,000 requests in a file of at most 200 MB.
    package static let openAI = BatchLimits(maxRequests: 50_000, maxBytes: 200_000_000)

    package var maxRequests: Int
    package var maxBytes: Int

    package init(maxRequests: Int, maxBytes: Int) {
        self.maxRequests = maxRequests
        self.maxBytes = maxBytes
    }

    /// Refuses a batch of `requestCount` requests unless it holds 1 to `maxRequests` (a
    /// route-specific `client_error`: the batch is not sent).
    package func check(requestCount: Int) throws(ProviderFailure) {
        guard (1...maxRequests).contains(requestCount) else {
            throw ProviderFailure(
                outcome: .clientError, message: "a batch holds 1 to \(maxRequests) requests, not \(requestCount)", isRouteSpecific: true)
        }
    }

    /// Whether a custom id is one every batch API takes: 1 to 64 of `A-Z a-z 0-9 _ -`.
    package static func isValidCustomID(_ id: String) -> Bool {
        isIDShaped(id, maxBytes: 64)
    }

    /// Whether an id a provider gave (a batch, a file) can go into a URL path: 1 to 256 of
    /// `A-Z a-z 0-9 _ -`, as every documented id is.
    package static func isValidProviderID(_ id: String) -> Bool {
        isIDShaped(id, maxBytes: 256)
    }

    private static func isIDShaped(_ id: String, maxBytes: Int) -> Bool {
        let bytes = id.utf8
        guard (1...maxBytes).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F || byte == 0x2D
        }
    }
}
