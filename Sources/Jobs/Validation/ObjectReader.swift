import Completions

/// Reads the members of one JSON object strictly: every read names its field in the error, and
/// ``rejectUnknown(_:)`` turns a member the schema does not define into an error.
struct ObjectReader {
    let path: FieldPath
    let members: [String: JSONValue]

    /// Reads `value` as an object, or fails with `expected an object`.
    init(_ value: JSONValue, at path: FieldPath) throws(FieldError) {
        guard case .object(let members) = value else {
            throw .invalid(path, expected: "an object", got: value)
        }
        self.path = path
        self.members = members
    }

    /// Fails on the first member (in sorted order, so messages are stable) not in `allowed`.
    func rejectUnknown(_ allowed: [String]) throws(FieldError) {
        // The common case (every member known) costs a few comparisons per member: no set, no sort.
        guard !members.keys.allSatisfy(allowed.contains) else { return }
        if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .unknown(path.appending(unknown), allowed: allowed)
        }
    }

    /// Whether `key` is present (even as `null`).
    func contains(_ key: String) -> Bool {
        members[key] != nil
    }

    /// Member `key`, read by `read`; fails when it is absent.
    func required<T>(_ key: String, _ read: (JSONValue, FieldPath) throws(FieldError) -> T) throws(FieldError) -> T {
        let fieldPath = path.appending(key)
        guard let value = members[key] else { throw .missing(fieldPath) }
        return try read(value, fieldPath)
    }

    /// Member `key`, read by `read`, or `nil` when it is absent.
    func optional<T>(_ key: String, _ read: (JSONValue, FieldPath) throws(FieldError) -> T) throws(FieldError) -> T? {
        guard let value = members[key] else { return nil }
        return try read(value, path.appending(key))
    }
}
