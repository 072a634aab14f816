import Completions
import Foundation

/// The one way understudy writes the JSON it publishes (jobs it enqueues, results, telemetry):
/// UTF-8, no escaped slashes, field names and order exactly as the schemas in `schemas/` give them
/// (each type writes its own members with a ``JSONWriter``), timestamps as ``RFC3339`` strings.
public enum WireJSON {
    /// Why a value could not be written.
    public struct Error: Swift.Error, Sendable, CustomStringConvertible {
        public var description: String { "a number in the message is not finite (NaN or infinity)" }
    }

    /// `value` as the bytes of one JSON document. Fails only on a non-finite number.
    public static func encodeBytes(_ value: some JSONWritable) throws(Error) -> [UInt8] {
        var writer = JSONWriter()
        value.write(to: &writer)
        guard !writer.wroteNonFiniteNumber else { throw Error() }
        return writer.bytes
    }

    /// `value` as `Data`.
    public static func encode(_ value: some JSONWritable) throws(Error) -> Data {
        Data(try encodeBytes(value))
    }
}
