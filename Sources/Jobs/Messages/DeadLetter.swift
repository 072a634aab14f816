/// The dead-letter contract: a message that cannot become a job is copied to the dead-letter topic
/// with its key, value and headers unchanged, plus the headers named here (values UTF-8 text,
/// numbers in decimal).
package enum DeadLetter {
    /// Header names.
    package enum Header {
        /// The ``JobRejection/Code`` raw value (`invalid_json`, `schema_violation`, ...).
        package static let errorClass = "understudy.error.class"
        /// The rejection's message: which field, what was expected.
        package static let errorMessage = "understudy.error.message"
        /// The topic the message was consumed from.
        package static let sourceTopic = "understudy.source.topic"
        /// Its partition, in decimal.
        package static let sourcePartition = "understudy.source.partition"
        /// Its offset, in decimal.
        package static let sourceOffset = "understudy.source.offset"
        /// `true` when the broker refused the whole message and its value was cut.
        package static let truncated = "understudy.error.truncated"

        /// Every header this contract adds (a redrive strips them before re-producing).
        package static let all = [errorClass, errorMessage, sourceTopic, sourcePartition, sourceOffset, truncated]
    }

    /// Longest `understudy.error.message` written; longer messages are cut.
    package static let maxMessageBytes = 1_024

    /// The headers to add for `rejection` of the message at `topic`/`partition`/`offset`, in order.
    package static func headers(
        for rejection: JobRejection,
        topic: String,
        partition: Int32,
        offset: Int64
    ) -> [(name: String, value: [UInt8])] {
        var message = Array(rejection.message.utf8)
        if message.count > maxMessageBytes {
            message = Array(String(decoding: message.prefix(maxMessageBytes), as: UTF8.self).utf8)
        }
        return [
            (Header.errorClass, Array(rejection.code.rawValue.utf8)),
            (Header.errorMessage, message),
            (Header.sourceTopic, Array(topic.utf8)),
            (Header.sourcePartition, Array(String(partition).utf8)),
            (Header.sourceOffset, Array(String(offset).utf8)),
        ]
    }
}
