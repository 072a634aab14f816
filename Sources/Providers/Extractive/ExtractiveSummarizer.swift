import Completions
import Foundation

/// A deterministic, offline extractive summarizer: splits the input into sentences, scores each
/// by the frequency of its content words (normalized by length, with a small lead bonus), and
/// returns the best ones in their original order within a character budget of about
/// `maxTokens × 4`.
///
/// Guarantees: the same input and budget always give the same output, in every process (no
/// hashing order or randomness reaches the result); non-empty input always gives a non-empty
/// summary; the summary never exceeds the budget by more than one ellipsis.
package struct ExtractiveSummarizer: Sendable, Hashable {
    /// The result of one summary.
    package struct Summary: Sendable, Hashable {
        package var text: String
        /// True when even the best sentence had to be cut to fit the budget.
        package var truncated: Bool
    }

    /// Characters per token used for budgets and token estimates.
    package var charactersPerToken: Int

    package init(charactersPerToken: Int = 4) {
        self.charactersPerToken = max(1, charactersPerToken)
    }

    /// Roughly how many tokens `text` is (≈ characters / 4, at least 1 for non-empty text).
    package func estimateTokens(_ text: String) -> Int {
        let count = text.utf8.count
        return count == 0 ? 0 : max(1, (count + charactersPerToken - 1) / charactersPerToken)
    }

    /// Summarizes `text` within about `maxTokens` tokens.
    package func summarize(_ text: String, maxTokens: Int) -> Summary {
        let sentences = Self.sentences(in: text)
        guard !sentences.isEmpty else {
            return Summary(text: "", truncated: false)
        }
        let (product, overflow) = maxTokens.multipliedReportingOverflow(by: charactersPerToken)
        let budget = overflow ? Int.max : max(charactersPerToken, product)
        // A summary, not a copy: aim at a quarter of the input (at least two short sentences' worth).
        let target = min(budget, max(240, text.utf8.count / 4))

        let words = sentences.map(Self.contentWords)
        var frequency: [String: Int] = [:]
        for list in words {
            for word in list { frequency[word, default: 0] += 1 }
        }
        var scored: [(index: Int, score: Double)] = []
        for (index, list) in words.enumerated() {
            var seen: Set<String> = []
            var total = 0
            for word in list where seen.insert(word).inserted {
                total += frequency[word, default: 0]
            }
            var score = Double(total) / (Double(list.count) + 1).squareRoot()
            if index < 2 { score *= 1.25 }
            scored.append((index, score))
        }
        scored.sort { $0.score == $1.score ? $0.index < $1.index : $0.score > $1.score }

        var chosen: [Int] = []
        var used = 0
        for candidate in scored {
            let length = sentences[candidate.index].utf8.count + (chosen.isEmpty ? 0 : 1)
            if used + length <= target {
                chosen.append(candidate.index)
                used += length
            }
            if chosen.count >= 6 { break }
        }
        if chosen.isEmpty {
            let best = sentences[scored[0].index]
            return Summary(text: Self.cut(best, toBytes: budget), truncated: true)
        }
        return Summary(text: chosen.sorted().map { sentences[$0] }.joined(separator: " "), truncated: false)
    }

    /// A JSON document for `schema` filled from `text`: string fields get the summary (titles
    /// get the lead sentence), string arrays get key sentences, numbers 0, booleans false, enums
    /// their first value. Good enough for a last-resort route; the engine still validates it.
    package func jsonDocument(for schema: JSONValue, text: String, maxTokens: Int) -> String {
        let summary = summarize(text, maxTokens: maxTokens).text
        let sentences = Self.sentences(in: summary)
        let value = fill(schema, key: nil, summary: summary, sentences: sentences, depth: 0)
        return WireJSON.compactString(value)
    }

    private func fill(_ schema: JSONValue, key: String?, summary: String, sentences: [String], depth: Int) -> JSONValue {
        guard depth < 8 else { return .null }
        if let constant = schema["const"] { return constant }
        if let first = schema["enum"]?.arrayValue?.first { return first }
        for keyword in ["anyOf", "oneOf", "allOf"] {
            if let first = schema[keyword]?.arrayValue?.first {
                return fill(first, key: key, summary: summary, sentences: sentences, depth: depth + 1)
            }
        }
        var type = schema["type"]?.stringValue
        if type == nil, let types = schema["type"]?.arrayValue {
            type = types.compactMap(\.stringValue).first { $0 != "null" }
        }
        if type == nil, schema["properties"] != nil { type = "object" }
        switch type {
        case "object":
            var members: [String: JSONValue] = [:]
            for (name, property) in schema["properties"]?.objectValue ?? [:] {
                members[name] = fill(property, key: name, summary: summary, sentences: sentences, depth: depth + 1)
            }
            return .object(members)
        case "array":
            let items = schema["items"] ?? .object(["type": .string("string")])
            if items["type"]?.stringValue == "string", items["enum"] == nil {
                let count = max(1, min(3, sentences.count))
                return .array(sentences.prefix(count).map(JSONValue.string))
            }
            return .array([fill(items, key: key, summary: summary, sentences: sentences, depth: depth + 1)])
        case "integer", "number":
            return .number(schema["minimum"]?.numberValue ?? 0)
        case "boolean":
            return .bool(false)
        case "null":
            return .null
        default:
            let lower = key?.lowercased() ?? ""
            var value = summary
            if lower.contains("title") || lower.contains("subject") || lower.contains("headline") {
                value = Self.cut(sentences.first ?? summary, toBytes: 120)
            }
            if let maxLength = schema["maxLength"]?.numberValue {
                value = String(value.prefix(Self.count(atMost: maxLength)))
            }
            return .string(value)
        }
    }

    /// A job schema's length limit as a count for `prefix`: whole characters at most `limit`,
    /// clamped to `0...Int.max` (a negative, fractional or huge limit never traps).
    static func count(atMost limit: Double) -> Int {
        guard limit > 0 else { return 0 }
        // Doubles at or past 2^62 are beyond any string; below it, the conversion is exact.
        guard limit < 0x1p62 else { return Int.max }
        return Int(limit.rounded(.down))
    }

    // MARK: Text

    /// Sentences: split after `.`, `!` or `?` followed by whitespace, and at line breaks; a
    /// piece with no letter or digit is dropped. Works on UTF-8 bytes (non-ASCII bytes count as
    /// letters), so it is fast and the same everywhere.
    static func sentences(in text: String) -> [String] {
        var output: [String] = []
        let bytes = text.utf8
        var start = bytes.startIndex
        var index = bytes.startIndex
        var previousWasTerminal = false
        func flush(_ end: String.UTF8View.Index) {
            var lower = start
            var upper = end
            while lower < upper, isSpace(bytes[lower]) { lower = bytes.index(after: lower) }
            while upper > lower, isSpace(bytes[bytes.index(before: upper)]) { upper = bytes.index(before: upper) }
            if lower < upper, bytes[lower..<upper].contains(where: isWordByte) {
                output.append(String(text[lower..<upper]))
            }
        }
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || (previousWasTerminal && isSpace(byte)) {
                flush(index)
                start = bytes.index(after: index)
                previousWasTerminal = false
            } else {
                previousWasTerminal = byte == UInt8(ascii: ".") || byte == UInt8(ascii: "!") || byte == UInt8(ascii: "?")
            }
            index = bytes.index(after: index)
        }
        flush(bytes.endIndex)
        return output
    }

    /// Lower-cased words of three or more bytes that are not stop words.
    static func contentWords(_ sentence: String) -> [String] {
        var words: [String] = []
        var current: [UInt8] = []
        current.reserveCapacity(24)
        func emit() {
            if current.count >= 3 {
                let word = String(decoding: current, as: UTF8.self)
                if !stopWords.contains(word) { words.append(word) }
            }
            current.removeAll(keepingCapacity: true)
        }
        for byte in sentence.utf8 {
            if isWordByte(byte) {
                current.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
            } else if !current.isEmpty {
                emit()
            }
        }
        if !current.isEmpty { emit() }
        return words
    }

    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }

    @inline(__always) static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte >= 0x80
    }

    static func cut(_ text: String, toBytes budget: Int) -> String {
        guard text.utf8.count > budget else { return text }
        var output = ""
        for word in text.split(separator: " ") {
            let next = output.isEmpty ? String(word) : output + " " + word
            if next.utf8.count > max(1, budget - 3) { break }
            output = next
        }
        if output.isEmpty { output = String(text.prefix(max(1, budget - 3))) }
        return output + "…"
    }

    static let stopWords: Set<String> = [
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out", "has",
        "him", "his", "how", "its", "may", "new", "now", "see", "two", "who", "did", "get", "got", "let", "say", "she", "too",
        "use", "that", "with", "have", "this", "will", "your", "from", "they", "been", "were", "said", "each", "which", "their",
        "there", "what", "about", "would", "these", "other", "into", "more", "some", "could", "them", "than", "then", "only",
        "also", "after", "when", "where", "while", "over", "just", "very", "being", "because", "does", "should", "since",
        "still", "like", "here", "those", "such", "most", "much", "many", "well", "yes",
    ]
}
