import Completions
import Foundation

/// JSON encoding and decoding for wire bodies, with failures turned into ``ProviderFailure``s.
package enum WireJSON {
    package static func encode<T: Encodable>(_ value: T) throws(ProviderFailure) -> Data {
        do {
            return try JSONEncoder().encode(value)
        } catch {
            throw ProviderFailure(outcome: .clientError, message: "request could not be encoded: \(error)")
        }
    }

    /// A request body written by its own ``JSONWriter`` code (the hot path: one per attempt).
    package static func encode(_ value: some JSONWritable) throws(ProviderFailure) -> Data {
        do {
            return Data(try value.jsonDocument())
        } catch {
            throw ProviderFailure(outcome: .clientError, message: "request could not be encoded: \(error)")
        }
    }

    /// Reads a success body with `read`, which returns `nil` when the document does not have the
    /// expected shape; a body that is not JSON or not that shape is `.invalidOutput`.
    package static func readAnswer<T>(
        from data: Data,
        status: Int,
        provider: String,
        _ read: (JSONValue) -> T?
    ) throws(ProviderFailure) -> T {
        let document: JSONValue
        do {
            document = try JSONParser.parse(data)
        } catch {
            throw ProviderFailure(outcome: .invalidOutput, httpStatus: status, message: "\(provider) answer is not valid JSON")
        }
        guard let answer = read(document) else {
            throw ProviderFailure(
                outcome: .invalidOutput, httpStatus: status, message: "\(provider) answer does not have the \(provider) response shape")
        }
        return answer
    }

    /// Decodes a success body; a body that is not JSON or not the expected shape is `.invalidOutput`.
    package static func decodeAnswer<T: Decodable>(_ type: T.Type, from data: Data, status: Int, provider: String) throws(ProviderFailure) -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            let what: String
            switch error {
            case .dataCorrupted: what = "is not valid JSON"
            default: what = "does not have the \(provider) response shape"
            }
            throw ProviderFailure(outcome: .invalidOutput, httpStatus: status, message: "\(provider) answer \(what)")
        } catch {
            throw ProviderFailure(outcome: .invalidOutput, httpStatus: status, message: "\(provider) answer is unreadable")
        }
    }

    /// Decodes an error body when it has the expected shape, else `nil`.
    package static func decodeError<T: Decodable>(_ type: T.Type, from data: Data) -> T? {
        try? JSONDecoder().decode(type, from: data)
    }

    package static func compactString(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// A short, single-line excerpt of a body for error messages: cut and marked as
    /// ``ProviderFailure/bounded(_:toBytes:)`` cuts, so redaction sees where it was cut. (It reads
    /// the whole body, already capped by the transport; the codecs parse it whole anyway.)
    package static func excerpt(_ data: Data, limit: Int = 300) -> String {
        ProviderFailure.bounded(String(decoding: data, as: UTF8.self), toBytes: limit).replacingOccurrences(of: "\n", with: " ")
    }

    /// Joins `base` and `path` with exactly one slash.
    package static func join(_ base: String, _ path: String) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        return path.hasPrefix("/") ? base + path : base + "/" + path
    }
}
