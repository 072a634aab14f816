import Completions
import Foundation

/// The `anthropic` adapter's batches: Anthropic's Message Batches API, at half the realtime
/// price, through the same HTTP call (authorization, secret scrubbing) as realtime attempts.
extension AnthropicProvider: BatchCompletionProvider {
    package var batchLimits: BatchLimits { .anthropic }

    private var batchCodec: AnthropicBatchCodec { AnthropicBatchCodec(messages: codec) }

    package func submitBatch(_ requests: [BatchRequest], model: String, timeout: Duration) async throws -> ProviderBatch {
        try batchLimits.check(requestCount: requests.count)
        let codec = batchCodec
        return try await call.exchange(try codec.create(requests, model: model), timeout: timeout, maxRequestBytes: batchLimits.maxBytes) {
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

    /// The whole results file at once, capped at twice the batch's own size limit.
    package func batchResults(of batch: ProviderBatch, timeout: Duration) async throws -> [BatchItemResult] {
        let codec = batchCodec
        return try await call.exchange(try codec.results(batch), timeout: timeout, maxResponseBytes: 2 * batchLimits.maxBytes) {
            response throws(ProviderFailure) in
            guard (200..<300).contains(response.status) else { throw codec.messages.failure(for: response, now: Date()) }
            let decoded = codec.decodeResults(response.body)
            return call.delivered(decoded.results, unreadable: decoded.unreadable, batchID: batch.id)
        }
    }
}
