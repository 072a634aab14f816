/// What this module counts as a word, in one place: ``TextSimilarity`` compares these tokens and
/// ``TextStructure`` counts them, so the two never disagree on what a word is.
///
/// A word is a run of letters (Unicode `Alphabetic`) and decimal digits (`Nd`); combining marks
/// (`Mn`, `Mc`, `Me`) continue a word they follow, so a decomposed `é` stays in its word.
/// Everything else (spaces, punctuation, symbols, emoji) separates words: `don't` is `don` and
/// `t`. A run of a script written without spaces (Chinese, Japanese) is one word.
///
/// Guarantees: never traps; the work is one pass over the text's Unicode scalars, stopping as
/// soon as the requested number of words is found.
enum WordTokenizer {
    /// The lowercased words of `text`, at most `limit` of them (from the start), and whether the
    /// text holds more words than were returned.
    static func words(in text: String, limit: Int) -> (words: [String], truncated: Bool) {
        var words: [String] = []
        let scalars = text.unicodeScalars
        var start: String.UnicodeScalarView.Index?
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if let wordStart = start {
                if !continuesWord(scalar) {
                    words.append(String(scalars[wordStart..<index]).lowercased())
                    start = nil
                }
            } else if startsWord(scalar) {
                guard words.count < max(0, limit) else { return (words, true) }
                start = index
            }
            index = scalars.index(after: index)
        }
        if let wordStart = start {
            words.append(String(scalars[wordStart...]).lowercased())
        }
        return (words, false)
    }

    /// Whether `scalar` begins a word: a letter or a decimal digit.
    static func startsWord(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        return properties.isAlphabetic || properties.generalCategory == .decimalNumber
    }

    /// Whether `scalar` continues a word already begun: a letter, a decimal digit or a combining mark.
    static func continuesWord(_ scalar: Unicode.Scalar) -> Bool {
        if startsWord(scalar) { return true }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }
}
