import Completions
import Foundation

/// The `anthropic` adapter's batches: Anthropic's Message Batches API, at half the realtime
/// price, through the same HTTP call (authorization, secret scrubbing) as realtime attempts.
extension AnthropicProvider: BatchCompletionProvider {
    package var batchLimits: BatchLimits { .anthropic }

    private var batchCodec: AnthropicBatchCodec { AnthropicBatchCodec(messages: codec) }

    package func submitBatch(_ requests: [BatchRequest], model: String, timeout: Duration) async throws -> ProviderBatch {
        let codec = batchCodec
        let create: ProviderHTTPRequest
        do {
            try batchLimits.check(requestCount: requests.count)
            create = try codec.create(requests, model: model)
        } catch {
            throw BatchNotCreated(error)
        }
        return try await call.exchange(create, timeout: timeout, maxRequestBytes: batchLimits.maxBytes) {
            response throws(ProviderFailure) in try codec.decodeBatch(response, now: Date())
        }
    }

    package func batch(_ id: String, timeout: Duration) async throws -> ProviderBatch {
        let codec = batchCodec
        return try await call.exchange(try codec.retrieve(id), timeout: timeout) { response throws(ProviderFailure) in
            try codec.decodeBatch(response, now: Date())
        }
    }

    package func cancelBatch(_ id: String, timeout: Duration) async throws -> ProviderBatch {
        let codec = batchCodec
        return try await call.exchange(try codec.cancel(id), timeout: timeout) { response throws(ProviderFailure) in
            try codec.decodeBatch(response, now: Date())
        }
    }

    /// The results file, streamed a delivery of lines at a time (at most twice the batch's own
    /// size limit in all).
    package func batchResults(
        of batch: ProviderBatch, timeout: Duration, receive: @escaping @Sendable ([BatchItemResult]) async throws -> Void
    ) async throws {
        let codec = batchCodec
        let call = self.call
        try await call.streamLines(
            try codec.results(batch), timeout: timeout, maxBytes: 2 * batchLimits.maxBytes,
            failure: { codec.messages.failure(for: $0, now: Date()) },
            receive: { lines in try await receive(call.results(lines, batchID: batch.id) { codec.result(json: $0) }) })
    }

    /// Nothing: Message Batches keep no uploaded files, and Anthropic deletes a batch's results
    /// itself 29 days after it was created.
    package func discardFiles(of id: String, timeout: Duration) async throws -> Int? { 0 }
}
