import Completions

/// Whether a backup route's structured answer (a `json_schema` job) says the same as the
/// primary's, field by field: for each leaf of the primary's value, whether the backup holds an
/// equal value at the same path. ``FieldAgreementTally`` adds these up over many jobs.
///
/// Paths: object members are joined with `.` (`meta.score`), array elements take `[index]`
/// (`items[0].name`); a member name that is not a plain ASCII name (letters, digits, `_`, `-`) is
/// written quoted, `["a.b"]`, and cut to ``maxNameBytes``; the root, when it is itself a leaf, is
/// `$`. Leaves are `null`, booleans, numbers, strings, empty arrays and empty objects, and any
/// value at depth ``maxDepth``.
///
/// Equality: numbers agree within a relative tolerance of ``relativeTolerance`` (`|a − b| ≤ 1e-9 ·
/// max(|a|, |b|)`), strings agree when equal after trimming white space at both ends, every other
/// leaf only when exactly equal (`==`; a number never equals a string). A path missing from the
/// backup, or holding a value of another type, disagrees. Members only the backup has are not
/// counted: the primary's answer is the reference.
///
/// Guarantees: never traps; the work is bounded whatever the input: paths are collected in a
/// fixed order (members by name, elements by index) and the walk stops after ``maxPaths`` leaves
/// (``truncated`` then says so); it never goes deeper than ``maxDepth`` (a value there is one
/// leaf, compared whole). Ordering an object's `k` member names costs one sort (`k log k`),
/// bounded by the size of the answer. Each member name is quoted at most ``maxNameBytes`` bytes long, so a
/// path is at most about `maxDepth × maxNameBytes` bytes.
package struct FieldAgreement: Sendable, Hashable {
    /// Values this deep (the root is depth 0) are one leaf each, compared whole.
    package static let maxDepth = 32
    /// The most leaves compared per answer; later ones (in path order) are left out.
    package static let maxPaths = 1_000
    /// The most UTF-8 bytes of one member name written into a path.
    package static let maxNameBytes = 64
    /// Numbers closer than this share of the larger magnitude agree.
    package static let relativeTolerance = 1e-9

    /// One leaf of the primary's answer and what the backup holds there.
    package struct Field: Sendable, Hashable {
        /// Where the leaf is (`items[0].name`).
        package var path: String
        /// The primary's value.
        package var primary: JSONValue
        /// The backup's value at the same path, `nil` when the backup has none.
        package var backup: JSONValue?
        /// Whether the two values agree under the rules above.
        package var agrees: Bool
    }

    /// The primary's leaves in path order (members by name, elements by index), at most ``maxPaths``.
    package private(set) var fields: [Field] = []
    /// Whether the primary had leaves beyond ``maxPaths`` that were not compared.
    package private(set) var truncated = false

    /// Compares `backup` against `primary`, leaf by leaf of the primary.
    package init(primary: JSONValue, backup: JSONValue) {
        visit(primary, backup, path: "", depth: 0)
    }

    /// How many of the compared leaves agree.
    package var agreedCount: Int { fields.count { $0.agrees } }

    /// The share of compared leaves that agree, in `0...1` (1 when there is none to compare,
    /// which happens only with a ``maxPaths`` of zero: every value has at least one leaf).
    package var share: Double {
        fields.isEmpty ? 1 : Double(agreedCount) / Double(fields.count)
    }

    /// Whether every compared leaf agrees.
    package var allAgree: Bool { fields.allSatisfy(\.agrees) }

    /// Whether two leaf values agree: numbers within ``relativeTolerance``, strings after
    /// trimming white space, anything else exactly.
    package static func valuesAgree(_ primary: JSONValue, _ backup: JSONValue) -> Bool {
        switch (primary, backup) {
        case (.number(let first), .number(let second)):
            guard first != second else { return true }
            guard first.isFinite && second.isFinite else { return false }
            return abs(first - second) <= relativeTolerance * max(abs(first), abs(second))
        case (.string(let first), .string(let second)):
            return trimmed(first) == trimmed(second)
        default:
            return primary == backup
        }
    }

    private mutating func visit(_ primary: JSONValue, _ backup: JSONValue?, path: String, depth: Int) {
        guard !truncated else { return }
        if depth < Self.maxDepth {
            switch primary {
            case .object(let members) where !members.isEmpty:
                let backupMembers = backup?.objectValue
                for name in members.keys.sorted() {
                    guard let member = members[name] else { continue }
                    visit(member, backupMembers?[name], path: Self.memberPath(path, name), depth: depth + 1)
                    if truncated { return }
                }
                return
            case .array(let elements) where !elements.isEmpty:
                let backupElements = backup?.arrayValue
                for (index, element) in elements.enumerated() {
                    let backupElement = backupElements.flatMap { index < $0.count ? $0[index] : nil }
                    visit(element, backupElement, path: path + "[\(index)]", depth: depth + 1)
                    if truncated { return }
                }
                return
            default:
                break
            }
        }
        guard fields.count < Self.maxPaths else {
            truncated = true
            return
        }
        let agrees = backup.map { Self.valuesAgree(primary, $0) } ?? false
        fields.append(Field(path: path.isEmpty ? "$" : path, primary: primary, backup: backup, agrees: agrees))
    }

    /// `path` extended by the member `name`: `.name` for a plain name, `["name"]` otherwise.
    private static func memberPath(_ path: String, _ name: String) -> String {
        if isPlainName(name) {
            return path.isEmpty ? name : path + "." + name
        }
        var quoted = ""
        for scalar in ProviderFailure.bounded(name, toBytes: maxNameBytes).unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return path + "[\"" + quoted + "\"]"
    }

    private static func isPlainName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= maxNameBytes else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
                || byte == 0x2D
        }
    }

    /// `text` without white space at either end.
    private static func trimmed(_ text: String) -> Substring {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return Substring(scalars[first...last])
    }
}
