/// Where a value sits in a JSON or YAML document, rendered the way error messages name it:
/// `input.messages[2].role`, `workloads.support-summaries.routes[1].provider`; `$` for the root.
struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    private var rendered: String

    /// The document's root.
    static let root = FieldPath(rendered: "")

    private init(rendered: String) {
        self.rendered = rendered
    }

    /// The path of member `key` of the object at this path.
    func appending(_ key: String) -> FieldPath {
        FieldPath(rendered: rendered.isEmpty ? key : rendered + "." + key)
    }

    /// The path of element `index` of the array at this path.
    func appending(index: Int) -> FieldPath {
        FieldPath(rendered: (rendered.isEmpty ? "$" : rendered) + "[\(index)]")
    }

    var isRoot: Bool { rendered.isEmpty }

    var description: String { rendered.isEmpty ? "$" : rendered }
}
