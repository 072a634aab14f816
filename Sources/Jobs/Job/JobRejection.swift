/// Why a message on the jobs topic cannot become a job: it goes to the dead-letter topic with
/// ``code`` as its `understudy.error.class` header and ``message`` as `understudy.error.message`.
public struct JobRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dead-letter class. Raw values are the header values.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// Not UTF-8, or not a JSON document.
        public static let invalidJSON = Code(rawValue: "invalid_json")
        /// JSON that breaks `schemas/job.v1.json`.
        public static let schemaViolation = Code(rawValue: "schema_violation")
        /// A `workload` the worker's config does not define.
        public static let unknownWorkload = Code(rawValue: "unknown_workload")
        /// A route that is not one of the workload's approved routes.
        public static let routeNotApproved = Code(rawValue: "route_not_approved")
        /// Larger than `worker.max_message_bytes`.
        public static let tooLarge = Code(rawValue: "too_large")
        /// Asks for more than its workload's `limits` allow (a longer `id`, more attempts, a
        /// longer deadline or attempt timeout): the message names the field and the limit.
        public static let overLimit = Code(rawValue: "over_limit")

        public var description: String { rawValue }
    }

    public var code: Code
    /// The offending field (`input.messages[2].role`), or `nil` when the message as a whole is at fault.
    public var fieldPath: String?
    /// What was expected and what was found, without the path.
    public var detail: String

    public init(code: Code, fieldPath: String? = nil, detail: String) {
        self.code = code
        self.fieldPath = fieldPath
        self.detail = detail
    }

    /// The path and the detail: `input.messages[2].role: expected "user" or "assistant", got "robot"`.
    public var message: String {
        guard let fieldPath else { return detail }
        return fieldPath + ": " + detail
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

extension JobRejection {
    init(_ error: FieldError) {
        self.init(code: .schemaViolation, fieldPath: error.path.description, detail: error.detail)
    }
}
