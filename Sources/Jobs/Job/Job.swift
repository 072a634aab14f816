import Completions
import Failover
import Foundation

/// One job from the jobs topic, validated against `schemas/job.v1.json` and against the worker's
/// config (its workload exists, its routes are approved), with its effective routes and policy
/// resolved. ``JobDecoder`` makes them; ``encode(to:)`` writes the wire form (for `enqueue`, the
/// demo and tests).
package struct Job: Sendable, Hashable {
    /// The routing fields a job may set; each one it leaves out falls back to its workload's policy.
    package struct Routing: Sendable, Hashable {
        /// Routes to try, in order; each must be one of the workload's approved routes.
        package var routes: [RouteKey]?
        package var maxAttempts: Int?
        package var attemptTimeoutMs: Int?
        package var deadlineMs: Int?
        package var hedgeAfterMs: Int?
        package var failOverOn: [Outcome]?

        package init(
            routes: [RouteKey]? = nil,
            maxAttempts: Int? = nil,
            attemptTimeoutMs: Int? = nil,
            deadlineMs: Int? = nil,
            hedgeAfterMs: Int? = nil,
            failOverOn: [Outcome]? = nil
        ) {
            self.routes = routes
            self.maxAttempts = maxAttempts
            self.attemptTimeoutMs = attemptTimeoutMs
            self.deadlineMs = deadlineMs
            self.hedgeAfterMs = hedgeAfterMs
            self.failOverOn = failOverOn
        }

        /// True when the job sets no routing field.
        package var isEmpty: Bool {
            routes == nil && maxAttempts == nil && attemptTimeoutMs == nil && deadlineMs == nil && hedgeAfterMs == nil
                && failOverOn == nil
        }
    }

    /// The job's id (the recommended message key); results and telemetry carry it as `job_id`.
    package var id: String
    /// The workload it belongs to: a key of the config's `workloads`.
    package var workload: String
    /// The `input` section as the provider-neutral request the engine sends to each route.
    package var request: CompletionRequest
    /// The `routing` section as the job sent it.
    package var routing: Routing
    /// After this instant the job is not run: it gets a failed result with class `expired`.
    package var expiresAt: Date?
    /// The job's `metadata`, echoed on its result (`{}` when absent).
    package var metadata: [String: JSONValue]
    /// The effective routes: the job's own list if it has one, else all its workload's routes.
    package var routes: [RouteKey]
    /// The effective policy: defaults, then the workload's `policy`, then the job's `routing`.
    package var policy: FailoverPolicy

    package init(
        id: String,
        workload: String,
        request: CompletionRequest,
        routing: Routing = Routing(),
        expiresAt: Date? = nil,
        metadata: [String: JSONValue] = [:],
        routes: [RouteKey]? = nil,
        policy: FailoverPolicy = .defaults
    ) {
        self.id = id
        self.workload = workload
        self.request = request
        self.routing = routing
        self.expiresAt = expiresAt
        self.metadata = metadata
        self.routes = routes ?? routing.routes ?? []
        self.policy = policy
    }

    /// True when the job has an `expires_at` at or before `now`.
    package func isExpired(at now: Date) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt <= now
    }
}

extension Job: JSONWritable {
    /// Writes the wire form of `schemas/job.v1.json`: what a producer sends. The effective
    /// ``routes`` and ``policy`` are not written: only what the job itself set.
    package func write(to writer: inout JSONWriter) {
        writer.beginObject()
        writer.member("id", id)
        writer.member("workload", workload)
        writer.key("input")
        writer.beginObject()
        writer.member("system", ifPresent: request.system)
        writer.key("messages")
        writer.beginArray()
        for message in request.messages {
            writer.beginObject()
            writer.member("role", message.role.rawValue)
            writer.member("content", message.content)
            writer.endObject()
        }
        writer.endArray()
        writer.member("max_tokens", request.maxTokens)
        writer.member("temperature", ifPresent: request.temperature)
        writer.member("stop_sequences", ifPresent: request.stopSequences.isEmpty ? nil : request.stopSequences)
        writer.key("response_format")
        writer.beginObject()
        switch request.responseFormat {
        case .text:
            writer.member("type", "text")
        case .jsonSchema(let schema):
            writer.member("type", "json_schema")
            writer.key("schema")
            writer.value(schema)
        }
        writer.endObject()
        writer.endObject()
        if !routing.isEmpty {
            writer.key("routing")
            writer.beginObject()
            if let routes = routing.routes {
                writer.key("routes")
                writer.beginArray()
                for route in routes {
                    writer.beginObject()
                    writer.member("provider", route.provider)
                    writer.member("model", route.model)
                    writer.endObject()
                }
                writer.endArray()
            }
            writer.member("max_attempts", ifPresent: routing.maxAttempts)
            writer.member("attempt_timeout_ms", ifPresent: routing.attemptTimeoutMs)
            writer.member("deadline_ms", ifPresent: routing.deadlineMs)
            writer.member("hedge_after_ms", ifPresent: routing.hedgeAfterMs)
            writer.member("fail_over_on", ifPresent: routing.failOverOn?.map(\.rawValue))
            writer.endObject()
        }
        if let expiresAt {
            writer.member("expires_at", RFC3339.string(from: expiresAt))
        }
        if !metadata.isEmpty {
            writer.key("metadata")
            writer.value(JSONValue.object(metadata))
        }
        writer.endObject()
    }
}
