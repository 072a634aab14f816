import Foundation

/// The one JSON encoder configuration for everything understudy publishes (results, telemetry),
/// so that every message is written the same way: UTF-8, no escaped slashes, field names exactly
/// as the schemas in `schemas/` spell them (each type writes its own snake_case keys), timestamps
/// as ``RFC3339`` strings.
public enum WireJSON {
    /// `value` as the bytes of one JSON document. Fails only on a non-finite number.
    public static func encode(_ value: some Encodable) throws -> Data {
        try makeEncoder().encode(value)
    }

    /// `value` as a byte array, for producers that take `[UInt8]`.
    public static func encodeBytes(_ value: some Encodable) throws -> [UInt8] {
        [UInt8](try encode(value))
    }

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .throw
        return encoder
    }
}
