/// One bundled sample document: a support ticket or a short article, with a stable id.
package struct SampleText: Sendable, Hashable, Identifiable {
    package var id: String
    package var title: String
    package var text: String

    package init(id: String, title: String, text: String) {
        self.id = id
        self.title = title
        self.text = text
    }
}
