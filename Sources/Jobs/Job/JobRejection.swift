/// Why a message on the jobs topic cannot become a job: it goes to the dead-letter topic with
/// ``code`` as its `understudy.error.class` header and ``message`` as `understudy.error.message`.
package struct JobRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// The dead-letter class. Raw values are the header values.
    package struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        package let rawValue: String

        package init(rawValue: String) {
            self.rawValue = rawValue
        }

        /// Not UTF-8, or not a JSON document.
        package static let invalidJSON = Code(rawValue: "invalid_json")
        /// JSON that breaks `schemas/job.v1.json`.
        package static let schemaViolation = Code(rawValue: "schema_violation")
        /// A `workload` the worker's config does not define.
        package static let unknownWorkload = Code(rawValue: "unknown_workload")
        /// A route that is not one of the workload's approved routes.
        package static let routeNotApproved = Code(rawValue: "route_not_approved")
        /// Larger than `worker.max_message_bytes`.
        package static let tooLarge = Code(rawValue: "too_large")
        /// Asks for more than its workload's `limits` allow (a longer `id`, more attempts, a
        /// longer deadline or attempt timeout): the message names the field and the limit.
        package static let overLimit = Code(rawValue: "over_limit")

        package var description: String { rawValue }
    }

    package var code: Code
    /// The offending field (`input.messages[2].role`), or `nil` when the message as a whole is at fault.
    package var fieldPath: String?
    /// What was expected and what was found, without the path.
    package var detail: String

    package init(code: Code, fieldPath: String? = nil, detail: String) {
        self.code = code
        self.fieldPath = fieldPath
        self.detail = detail
    }

    /// The path and the detail: `input.messages[2].role: expected "user" or "assistant", got "robot"`.
    package var message: String {
        guard let fieldPath else { return detail }
        return fieldPath + ": " + detail
    }

    package var description: String { "\(code.rawValue): \(message)" }
}

extension JobRejection {
    init(_ error: FieldError) {
        self.init(code: .schemaViolation, fieldPath: error.path.description, detail: error.detail)
    }
}
