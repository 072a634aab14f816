import Completions
import Failover
import Foundation

/// Turns the value of a jobs-topic message into a ``Job`` or a ``JobRejection``: size first
/// (`too_large`), then JSON (`invalid_json`), then `schemas/job.v1.json` field by field
/// (`schema_violation`, naming the first offending field; the schema's fixed bounds on counts,
/// sizes and nesting included, see ``JobLimits``), then the config (`unknown_workload`,
/// `route_not_approved`, and `over_limit` for a job asking for more than its workload's
/// ``WorkloadConfig/limits``). Every rejection names the field and what was expected.
///
/// Guarantees: it never traps on its input; every failure is a ``JobRejection``.
///
/// A value type holding only the config's workloads: safe to share across tasks.
package struct JobDecoder: Sendable {
    /// The workloads jobs may name, with their approved routes and policies.
    package var workloads: [String: WorkloadConfig]
    /// Larger messages are rejected as `too_large` before they are parsed.
    package var maxMessageBytes: Int

    package init(workloads: [String: WorkloadConfig], maxMessageBytes: Int = WorkerConfig.defaultMaxMessageBytes) {
        self.workloads = workloads
        self.maxMessageBytes = maxMessageBytes
    }

    /// A decoder for the jobs of `config`.
    package init(config: UnderstudyConfig) {
        self.init(workloads: config.workloads, maxMessageBytes: config.worker.maxMessageBytes)
    }

    /// Decodes one message value.
    package func decode(_ data: Data) throws(JobRejection) -> Job {
        try decode(bytes: data)
    }

    /// Decodes one message value.
    package func decode(_ bytes: [UInt8]) throws(JobRejection) -> Job {
        try decode(bytes: bytes)
    }

    private func decode(bytes data: some Collection<UInt8>) throws(JobRejection) -> Job {
        guard data.count <= maxMessageBytes else {
            throw JobRejection(
                code: .tooLarge,
                detail: "message is \(data.count) bytes, more than worker.max_message_bytes (\(maxMessageBytes))"
            )
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(data)
        } catch {
            throw JobRejection(code: .invalidJSON, detail: "not a JSON document (\(Self.describe(error)))")
        }
        return try decode(value)
    }

    /// Validates an already parsed document (no size check).
    package func decode(_ value: JSONValue) throws(JobRejection) -> Job {
        let job: Job
        do {
            job = try Self.readJob(value)
        } catch {
            throw JobRejection(error)
        }
        guard let workload = workloads[job.workload] else {
            throw JobRejection(
                code: .unknownWorkload,
                fieldPath: "workload",
                detail: "\"\(job.workload)\" is not a workload defined in the worker's config"
            )
        }
        if let routes = job.routing.routes {
            let approved = Set(workload.routes)
            for (index, route) in routes.enumerated() where !approved.contains(route) {
                throw JobRejection(
                    code: .routeNotApproved,
                    fieldPath: "routing.routes[\(index)]",
                    detail: "{provider: \"\(route.provider)\", model: \"\(route.model)\"} is not an approved route of workload \"\(job.workload)\""
                )
            }
        }
        try Self.checkLimits(job, workload: workload)
        var resolved = job
        resolved.routes = job.routing.routes ?? workload.routes
        resolved.policy = workload.policy.overridden(by: job.routing)
        resolved.request.cacheSystemPrompt = workload.promptCache.marks(resolved.request.system)
        return resolved
    }

    /// Checks what the job asks for against its workload's limits (the workload's own policy
    /// is within them by construction of the config).
    private static func checkLimits(_ job: Job, workload: WorkloadConfig) throws(JobRejection) {
        let limits = workload.limits
        let limitsPath = "workloads.\(workload.name).limits"
        let idBytes = job.id.utf8.count
        if idBytes > limits.maxJobIDBytes {
            throw JobRejection(
                code: .overLimit,
                fieldPath: "id",
                detail: "\(idBytes) bytes is over \(limitsPath).max_job_id_bytes (\(limits.maxJobIDBytes))"
            )
        }
        let routing = job.routing
        let checks = limits.checks(
            maxAttempts: routing.maxAttempts, attemptTimeoutMs: routing.attemptTimeoutMs, deadlineMs: routing.deadlineMs,
            hedgeAfterMs: routing.hedgeAfterMs
        )
        for check in checks where check.value > check.limit {
            throw JobRejection(
                code: .overLimit,
                fieldPath: "routing.\(check.field)",
                detail: "\(check.value) is over \(limitsPath).\(check.limitKey) (\(check.limit))"
            )
        }
    }

    /// Reads the document against the schema alone, with the default policy and the job's routes.
    static func readJob(_ value: JSONValue) throws(FieldError) -> Job {
        let root = try ObjectReader(value, at: .root)
        try root.rejectUnknown(["id", "workload", "input", "routing", "expires_at", "metadata"])
        let id = try root.required("id") { (value: JSONValue, path: FieldPath) throws(FieldError) -> String in
            let id = try Read.nonEmptyString(value, path)
            let bytes = id.utf8.count
            guard bytes <= JobLimits.hardMaxJobIDBytes else {
                throw .invalid(path, "expected at most \(JobLimits.hardMaxJobIDBytes) bytes, got \(bytes)")
            }
            return id
        }
        let workload = try root.required("workload", Read.nonEmptyString)
        let request = try root.required("input", readInput)
        let routing = try root.optional("routing", readRouting) ?? Job.Routing()
        let expiresAt = try root.optional("expires_at") { (value: JSONValue, path: FieldPath) throws(FieldError) -> Date in
            guard case .string(let text) = value, let date = RFC3339.date(from: text) else {
                throw .invalid(path, expected: "an RFC 3339 date-time such as \"2026-11-24T22:10:03Z\"", got: value)
            }
            return date
        }
        let metadata = try root.optional("metadata", readMetadata)
        return Job(
            id: id,
            workload: workload,
            request: request,
            routing: routing,
            expiresAt: expiresAt,
            metadata: metadata ?? [:]
        )
    }

    private static func readInput(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> CompletionRequest {
        let input = try ObjectReader(value, at: path)
        try input.rejectUnknown(["system", "messages", "max_tokens", "temperature", "stop_sequences", "response_format"])
        return CompletionRequest(
            system: try input.optional("system", Read.string),
            messages: try input.required("messages", Read.array(minItems: 1, maxItems: JobLimits.maxMessages, readMessage)),
            maxTokens: try input.optional("max_tokens", Read.integer(in: 1...1_000_000)) ?? 1024,
            temperature: try input.optional("temperature", Read.number(in: 0...2)),
            stopSequences: try input.optional("stop_sequences", Read.array(maxItems: JobLimits.maxStopSequences, Read.nonEmptyString))
                ?? [],
            responseFormat: try input.optional("response_format", readResponseFormat) ?? .text
        )
    }

    private static func readMessage(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> CompletionRequest.Message {
        let message = try ObjectReader(value, at: path)
        try message.rejectUnknown(["role", "content"])
        return CompletionRequest.Message(
            role: try message.required("role", Read.oneOf(["user", "assistant"], CompletionRequest.Message.Role.init(rawValue:))),
            content: try message.required("content", Read.string)
        )
    }

    private static func readResponseFormat(
        _ value: JSONValue,
        _ path: FieldPath
    ) throws(FieldError) -> CompletionRequest.ResponseFormat {
        let format = try ObjectReader(value, at: path)
        let type = try format.required("type", Read.oneOf(["text", "json_schema"]) { ["text", "json_schema"].contains($0) ? $0 : nil })
        if type == "text" {
            try format.rejectUnknown(["type"])
            return .text
        }
        try format.rejectUnknown(["type", "schema"])
        let schema = try format.required("schema") { (value: JSONValue, path: FieldPath) throws(FieldError) -> JSONValue in
            switch value {
            case .bool: return value
            case .object:
                var budget = Int.max
                guard Self.fits(value, depth: 1, maxDepth: JobLimits.maxSchemaDepth, budget: &budget) else {
                    throw .invalid(path, "nested deeper than \(JobLimits.maxSchemaDepth) levels")
                }
                return value
            default: throw .invalid(path, expected: "a JSON Schema (an object)", got: value)
            }
        }
        return .jsonSchema(schema)
    }

    private static func readRouting(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> Job.Routing {
        let routing = try ObjectReader(value, at: path)
        try routing.rejectUnknown(["routes", "max_attempts", "attempt_timeout_ms", "deadline_ms", "hedge_after_ms", "fail_over_on"])
        return Job.Routing(
            routes: try routing.optional("routes", RouteKey.readList),
            maxAttempts: try routing.optional("max_attempts", Read.integer(in: 1...JobLimits.hardMaxAttempts)),
            attemptTimeoutMs: try routing.optional("attempt_timeout_ms", Read.integer(in: 1...JobLimits.hardMaxAttemptTimeoutMs)),
            deadlineMs: try routing.optional("deadline_ms", Read.integer(in: 1...JobLimits.hardMaxDeadlineMs)),
            hedgeAfterMs: try routing.optional("hedge_after_ms", Read.integer(in: 1...JobLimits.hardMaxAttemptTimeoutMs)),
            failOverOn: try routing.optional("fail_over_on", FailoverPolicy.readFailOverOn)
        )
    }

    private static func readMetadata(_ value: JSONValue, _ path: FieldPath) throws(FieldError) -> [String: JSONValue] {
        let members = try ObjectReader(value, at: path).members
        guard members.count <= JobLimits.maxMetadataEntries else {
            throw .invalid(path, "expected at most \(JobLimits.maxMetadataEntries) entries, got \(members.count)")
        }
        var budget = JobLimits.maxMetadataBytes
        guard fits(value, depth: 1, maxDepth: JobLimits.maxSchemaDepth, budget: &budget) else {
            if budget < 0 { throw .invalid(path, "expected at most \(JobLimits.maxMetadataBytes) bytes of JSON, got more") }
            throw .invalid(path, "nested deeper than \(JobLimits.maxSchemaDepth) levels")
        }
        return members
    }

    /// Whether `value` nests no deeper than `maxDepth` levels (a scalar is at `depth`) and its
    /// compact JSON takes no more than `budget` bytes (strings by their UTF-8 length, a number
    /// as up to 24 bytes; escapes are not counted). Spends `budget` as it goes and stops at the
    /// first excess, so it costs at most a walk of the first `budget` bytes' worth.
    private static func fits(_ value: JSONValue, depth: Int, maxDepth: Int, budget: inout Int) -> Bool {
        guard depth <= maxDepth else { return false }
        switch value {
        case .null, .bool: budget -= 5
        case .number: budget -= 24
        case .string(let string): budget -= string.utf8.count + 2
        case .array(let elements):
            budget -= 2
            for element in elements {
                budget -= 1
                guard budget >= 0, fits(element, depth: depth + 1, maxDepth: maxDepth, budget: &budget) else { return false }
            }
        case .object(let members):
            budget -= 2
            for (key, member) in members {
                budget -= key.utf8.count + 4
                guard budget >= 0, fits(member, depth: depth + 1, maxDepth: maxDepth, budget: &budget) else { return false }
            }
        }
        return budget >= 0
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}
