import Completions

/// What the judge route (`workloads.NAME.validation.judge`) said about one job's two answers:
/// whether they say the same thing, and why, in its own words.
///
/// Guarantees: ``reason`` is at most ``maxReasonBytes`` of UTF-8, cut on a character boundary.
package struct JudgeVerdict: Sendable, Hashable {
    /// The most bytes of a reason kept.
    package static let maxReasonBytes = 500

    package var same: Bool
    package private(set) var reason: String

    package init(same: Bool, reason: String) {
        self.same = same
        self.reason = ProviderFailure.bounded(reason, toBytes: Self.maxReasonBytes)
    }

    /// The JSON Schema the judge's answer must meet: `{"same": boolean, "reason": string}`.
    package static let answerSchema: JSONValue = .object([
        "type": .string("object"),
        "additionalProperties": .bool(false),
        "required": .array([.string("same"), .string("reason")]),
        "properties": .object([
            "same": .object(["type": .string("boolean")]),
            "reason": .object(["type": .string("string")]),
        ]),
    ])

    /// Reads the judge's answer (a JSON object meeting ``answerSchema``); `nil` when it is not one.
    package init?(answer: String) {
        guard let value = try? JSONParser.parse(Array(answer.utf8)), case .bool(let same)? = value["same"],
            case .string(let reason)? = value["reason"]
        else { return nil }
        self.init(same: same, reason: reason)
    }
}
