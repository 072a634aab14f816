/// One bundled sample document: a support ticket or a short article, with a stable id.
public struct SampleText: Sendable, Hashable, Identifiable {
    public var id: String
    public var title: String
    public var text: String

    public init(id: String, title: String, text: String) {
        self.id = id
        self.title = title
        self.text = text
    }
}
