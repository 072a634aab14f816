import Completions
import Failover
import Foundation

/// The message published on the results topic for every job that ran (keyed by job id):
/// `schemas/result.v1.json`. A job that ran and failed gets a failed result, not a dead letter.
///
/// ``encode(to:)`` writes every field of the schema, `output: null`, `served_by: null` and
/// `error: {...}` on failure, `error: null` on success; `queue_ms` only when known.
package struct JobResult: Sendable, Hashable {
    /// The answer of a succeeded job.
    package struct Output: Sendable, Hashable {
        package var text: String
        package var finishReason: CompletionResponse.FinishReason

        package init(text: String, finishReason: CompletionResponse.FinishReason) {
            self.text = text
            self.finishReason = finishReason
        }
    }

    /// The route that gave the answer.
    package struct ServedBy: Sendable, Hashable {
        package var provider: String
        package var model: String
        /// The route's position in the job's declared route list (whatever demotion or skipping happened).
        package var routeIndex: Int

        package init(provider: String, model: String, routeIndex: Int) {
            self.provider = provider
            self.model = model
            self.routeIndex = routeIndex
        }

        package init(route: RouteKey, routeIndex: Int) {
            self.init(provider: route.provider, model: route.model, routeIndex: routeIndex)
        }
    }

    /// Why a job failed.
    package struct Failure: Sendable, Hashable {
        /// The error class: a snake_case word downstream services can switch on. The engine's own
        /// classes (``FailoverError/Code``) plus the worker's: ``FailoverError/Code/expired`` and
        /// ``FailoverError/Code/resultTooLarge``.
        package typealias ErrorClass = FailoverError.Code

        package var errorClass: ErrorClass
        /// A human-readable explanation; never a key, a token or a header.
        package var message: String

        package init(_ errorClass: ErrorClass, message: String) {
            self.errorClass = errorClass
            self.message = message
        }
    }

    /// How the job ended.
    package enum Status: Sendable, Hashable {
        case succeeded(Output, servedBy: ServedBy)
        case failed(Failure)

        /// `succeeded` or `failed`, as the wire writes it.
        package var name: String {
            switch self {
            case .succeeded: "succeeded"
            case .failed: "failed"
            }
        }
    }

    package var jobID: String
    package var workload: String
    package var status: Status
    /// Provider calls made (skips for an open breaker not counted).
    package var attempts: Int
    /// Tokens of all calls of the job.
    package var usage: CompletionResponse.Usage
    /// Cost of all calls of the job (hedged ones included), in US dollars.
    package var costUSD: Double
    /// From when the worker started the job to its answer.
    package var latencyMs: Int
    /// From the job message's timestamp to when the worker started it, when known.
    package var queueMs: Int?
    /// The job's `metadata`, echoed.
    package var metadata: [String: JSONValue]
    package var completedAt: Date
    /// How the answer was asked for: realtime calls, or a provider batch.
    package var mode: Mode = .realtime

    /// How a job's answer was asked for (`mode`).
    package enum Mode: String, Sendable, Hashable, CaseIterable {
        /// Realtime calls through the failover engine.
        case realtime
        /// A provider's batch API, at the batch price.
        case batch
    }

    package init(
        jobID: String,
        workload: String,
        status: Status,
        attempts: Int,
        usage: CompletionResponse.Usage = CompletionResponse.Usage(inputTokens: 0, outputTokens: 0),
        costUSD: Double = 0,
        latencyMs: Int,
        queueMs: Int? = nil,
        metadata: [String: JSONValue] = [:],
        completedAt: Date
    ) {
        self.jobID = jobID
        self.workload = workload
        self.status = status
        self.attempts = attempts
        self.usage = usage
        self.costUSD = costUSD
        self.latencyMs = latencyMs
        self.queueMs = queueMs
        self.metadata = metadata
        self.completedAt = completedAt
    }

    /// The route that answered, or `nil` for a failed job.
    package var servedBy: ServedBy? {
        if case .succeeded(_, let servedBy) = status { return servedBy }
        return nil
    }

    /// The failure, or `nil` for a succeeded job.
    package var failure: Failure? {
        if case .failed(let failure) = status { return failure }
        return nil
    }

    /// True when a route other than the job's first answered.
    package var fallbackUsed: Bool {
        (servedBy?.routeIndex ?? 0) != 0
    }

    /// This result turned into a failed one (keeping counts, cost and metadata): for a result that
    /// cannot be published (`result_too_large`).
    package func failing(with failure: Failure) -> JobResult {
        var result = self
        result.status = .failed(failure)
        return result
    }
}

extension JobResult: JSONWritable {
    package func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("job_id", jobID)
        writer.member("workload", workload)
        writer.member("status", status.name)
        writer.key("output")
        switch status {
        case .succeeded(let output, _):
            writer.beginObject()
            writer.member("text", output.text)
            writer.member("finish_reason", output.finishReason.rawValue)
            writer.endObject()
        case .failed:
            writer.null()
        }
        writer.key("served_by")
        writer.value(servedBy)
        writer.member("fallback_used", fallbackUsed)
        writer.member("attempts", attempts)
        writer.key("usage")
        writer.value(usage)
        writer.member("cost_usd", costUSD)
        writer.member("latency_ms", latencyMs)
        writer.member("queue_ms", ifPresent: queueMs)
        // Written for batch answers only: absent reads as realtime, and the hot path's
        // results keep their size.
        if mode == .batch { writer.member("mode", mode.rawValue) }
        writer.key("error")
        if let failure {
            writer.beginObject()
            writer.member("class", failure.errorClass.rawValue)
            writer.member("message", failure.message)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.key("metadata")
        writer.value(JSONValue.object(metadata))
        writer.member("completed_at", RFC3339.string(from: completedAt))
        writer.endObject()
    }
}

extension JSONWriter {
    /// `served_by` as an object, or `null`.
    mutating func value(_ servedBy: JobResult.ServedBy?) {
        guard let servedBy else {
            null()
            return
        }
        beginObject()
        member("provider", servedBy.provider)
        member("model", servedBy.model)
        member("route_index", servedBy.routeIndex)
        endObject()
    }

    /// Token counts as `{"input_tokens": .., "output_tokens": ..}`, with `cache_read_tokens` and
    /// `cache_write_tokens` (parts of the input) when the prompt cache was used.
    mutating func value(_ usage: CompletionResponse.Usage) {
        beginObject()
        member("input_tokens", usage.inputTokens)
        member("output_tokens", usage.outputTokens)
        if usage.cacheReadTokens > 0 { member("cache_read_tokens", usage.cacheReadTokens) }
        if usage.cacheWriteTokens > 0 { member("cache_write_tokens", usage.cacheWriteTokens) }
        endObject()
    }
}
