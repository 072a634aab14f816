/// One Kafka record header. Kafka allows repeated names and a null value.
package struct KafkaHeader: Sendable, Hashable {
    package var name: String
    package var value: [UInt8]?

    package init(name: String, value: [UInt8]?) {
        self.name = name
        self.value = value
    }

    /// A header whose value is `text` in UTF-8.
    package init(name: String, text: String) {
        self.name = name
        self.value = Array(text.utf8)
    }

    /// The value as UTF-8 text, or `nil` when it is null or not valid UTF-8.
    package var text: String? {
        value.flatMap { String(validating: $0, as: UTF8.self) }
    }
}

extension Array where Element == KafkaHeader {
    /// The value of the last header called `name`, as text.
    package func text(_ name: String) -> String? {
        last(where: { $0.name == name })?.text
    }
}
