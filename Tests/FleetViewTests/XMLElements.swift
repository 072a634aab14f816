import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The elements of an XML document, each with its attributes and the `data-route` of the lane
/// (`<g class="lane">`) it sits in; `nil` when the document does not parse.
final class XMLElements: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var lane: String?
    }

    private(set) var elements: [Element] = []
    private(set) var texts: [String] = []
    private var open: [Element] = []

    static func parse(_ text: String) -> XMLElements? {
        let collector = XMLElements()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = collector
        return parser.parse() ? collector : nil
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        let lane = attributeDict["class"] == "lane" ? attributeDict["data-route"] : open.last?.lane
        let element = Element(name: elementName, attributes: attributeDict, lane: lane)
        elements.append(element)
        open.append(element)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        _ = open.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        texts.append(string)
    }

    /// Elements named `name` with `class` `css`, in lane `lane` when given.
    func count(_ name: String, class css: String, lane: String? = nil) -> Int {
        elements.count { $0.name == name && $0.attributes["class"] == css && (lane == nil || $0.lane == lane) }
    }
}
