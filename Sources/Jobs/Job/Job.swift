import Completions
import Foundation

/// One job from the jobs topic, validated against `schemas/job.v1.json` and against the worker's
/// config (its workload exists, its routes are approved), with its effective routes and policy
/// resolved. ``JobDecoder`` makes them; ``encode(to:)`` writes the wire form (for `enqueue`, the
/// demo and tests).
public struct Job: Sendable, Hashable {
    /// The routing fields a job may set; each one it leaves out falls back to its workload's policy.
    public struct Routing: Sendable, Hashable {
        /// Routes to try, in order; each must be one of the workload's approved routes.
        public var routes: [RouteName]?
        public var maxAttempts: Int?
        public var attemptTimeoutMs: Int?
        public var deadlineMs: Int?
        public var hedgeAfterMs: Int?
        public var failOverOn: [Outcome]?

        public init(
            routes: [RouteName]? = nil,
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
        public var isEmpty: Bool {
            routes == nil && maxAttempts == nil && attemptTimeoutMs == nil && deadlineMs == nil && hedgeAfterMs == nil
                && failOverOn == nil
        }
    }

    /// The job's id (the recommended message key); results and telemetry carry it as `job_id`.
    public var id: String
    /// The workload it belongs to: a key of the config's `workloads`.
    public var workload: String
    /// The `input` section as the provider-neutral request the engine sends to each route.
    public var request: CompletionRequest
    /// The `routing` section as the job sent it.
    public var routing: Routing
    /// After this instant the job is not run: it gets a failed result with class `expired`.
    public var expiresAt: Date?
    /// The job's `metadata`, echoed on its result (`{}` when absent).
    public var metadata: [String: JSONValue]
    /// The effective routes: the job's own list if it has one, else all its workload's routes.
    public var routes: [RouteName]
    /// The effective policy: defaults, then the workload's `policy`, then the job's `routing`.
    public var policy: WorkloadPolicy

    public init(
        id: String,
        workload: String,
        request: CompletionRequest,
        routing: Routing = Routing(),
        expiresAt: Date? = nil,
        metadata: [String: JSONValue] = [:],
        routes: [RouteName]? = nil,
        policy: WorkloadPolicy = .defaults
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
    public func isExpired(at now: Date) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt <= now
    }
}

extension Job: Encodable {
    /// Writes the wire form of `schemas/job.v1.json`: what a producer sends. The effective
    /// ``routes`` and ``policy`` are not written: only what the job itself set.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: WireKey.self)
        try container.encode(id, forKey: WireKey("id"))
        try container.encode(workload, forKey: WireKey("workload"))
        var input = container.nestedContainer(keyedBy: WireKey.self, forKey: WireKey("input"))
        try input.encodeIfPresent(request.system, forKey: WireKey("system"))
        var messages = input.nestedUnkeyedContainer(forKey: WireKey("messages"))
        for message in request.messages {
            var object = messages.nestedContainer(keyedBy: WireKey.self)
            try object.encode(message.role.rawValue, forKey: WireKey("role"))
            try object.encode(message.content, forKey: WireKey("content"))
        }
        try input.encode(request.maxTokens, forKey: WireKey("max_tokens"))
        try input.encodeIfPresent(request.temperature, forKey: WireKey("temperature"))
        if !request.stopSequences.isEmpty {
            try input.encode(request.stopSequences, forKey: WireKey("stop_sequences"))
        }
        var format = input.nestedContainer(keyedBy: WireKey.self, forKey: WireKey("response_format"))
        switch request.responseFormat {
        case .text:
            try format.encode("text", forKey: WireKey("type"))
        case .jsonSchema(let schema):
            try format.encode("json_schema", forKey: WireKey("type"))
            try format.encode(schema, forKey: WireKey("schema"))
        }
        if !routing.isEmpty {
            var section = container.nestedContainer(keyedBy: WireKey.self, forKey: WireKey("routing"))
            if let routes = routing.routes {
                var list = section.nestedUnkeyedContainer(forKey: WireKey("routes"))
                for route in routes {
                    var object = list.nestedContainer(keyedBy: WireKey.self)
                    try object.encode(route.provider, forKey: WireKey("provider"))
                    try object.encode(route.model, forKey: WireKey("model"))
                }
            }
            try section.encodeIfPresent(routing.maxAttempts, forKey: WireKey("max_attempts"))
            try section.encodeIfPresent(routing.attemptTimeoutMs, forKey: WireKey("attempt_timeout_ms"))
            try section.encodeIfPresent(routing.deadlineMs, forKey: WireKey("deadline_ms"))
            try section.encodeIfPresent(routing.hedgeAfterMs, forKey: WireKey("hedge_after_ms"))
            try section.encodeIfPresent(routing.failOverOn?.map(\.rawValue), forKey: WireKey("fail_over_on"))
        }
        if let expiresAt {
            try container.encode(RFC3339.string(from: expiresAt), forKey: WireKey("expires_at"))
        }
        if !metadata.isEmpty {
            try container.encode(metadata, forKey: WireKey("metadata"))
        }
    }
}
