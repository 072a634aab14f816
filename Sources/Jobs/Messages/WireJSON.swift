import Completions
import Foundation

/// The one way understudy writes the JSON it publishes (jobs it enqueues, results, telemetry):
/// UTF-8, no escaped slashes, field names and order exactly as the schemas in `schemas/` give them
/// (each type writes its own members with a ``JSONWriter``), timestamps as ``RFC3339`` strings.
package enum WireJSON {
    /// Why a value could not be written: it held a NaN or an infinity.
    package typealias Error = NonFiniteNumberError

    /// `value` as the bytes of one JSON document. Fails only on a non-finite number.
    package static func encodeBytes(_ value: some JSONWritable) throws(Error) -> [UInt8] {
        try value.jsonDocument()
    }

    /// `value` as `Data`.
    package static func encode(_ value: some JSONWritable) throws(Error) -> Data {
        Data(try encodeBytes(value))
    }
}
