/// The shape of an answer, for telling whether a backup route answers in the same form as the
/// primary (a list where the primary gave a list, three paragraphs where it gave three):
/// counts of characters, words, lines, bullets and paragraphs. ``StructureComparison`` sets a
/// backup's shape against the primary's.
///
/// Definitions:
/// - characters: `Character`s (grapheme clusters), what a reader counts;
/// - words: ``WordTokenizer``'s runs of letters and digits, the words ``TextSimilarity`` compares;
/// - lines: lines holding something other than white space (blank lines are not counted); a line
///   ends at `\n`, `\r\n`, `\r`, U+000B, U+000C, U+0085, U+2028 or U+2029;
/// - bullets: lines that, after optional spaces and tabs, start with `-`, `*` or `•`, or with 1 to
///   9 ASCII digits and `.` or `)`, **followed by a space or a tab** (so `**bold**`, `---`,
///   `-5 °C` and `3.14` are not bullets, as in Markdown);
/// - paragraphs: runs of non-blank lines separated by one or more blank lines.
///
/// Guarantees: never traps; the work is linear in the text (one pass over its Unicode scalars and
/// one over its characters) and the memory constant.
package struct TextStructure: Sendable, Hashable {
    /// `Character`s in the text.
    package var characters: Int
    /// Words (letter and digit runs) in the text.
    package var words: Int
    /// Lines holding something other than white space.
    package var lines: Int
    /// Lines that are list items.
    package var bullets: Int
    /// Blocks of non-blank lines separated by blank lines.
    package var paragraphs: Int

    /// A structure given count by count (for tests and for reading a report back).
    package init(characters: Int, words: Int, lines: Int, bullets: Int, paragraphs: Int) {
        self.characters = characters
        self.words = words
        self.lines = lines
        self.bullets = bullets
        self.paragraphs = paragraphs
    }

    /// Measures `text`.
    package init(of text: String) {
        var scanner = Scanner()
        var previousWasCarriageReturn = false
        for scalar in text.unicodeScalars {
            // `\r\n` ends one line, not two.
            if scalar == "\n" && previousWasCarriageReturn {
                previousWasCarriageReturn = false
                continue
            }
            previousWasCarriageReturn = scalar == "\r"
            scanner.consume(scalar)
        }
        scanner.endLine()
        self.init(
            characters: text.count, words: scanner.words, lines: scanner.lines, bullets: scanner.bullets,
            paragraphs: scanner.paragraphs)
    }

    /// The counting pass: a small state machine fed one scalar at a time.
    private struct Scanner {
        /// Where the current line is in recognising a list marker.
        enum Lead {
            /// Only spaces and tabs so far.
            case indent
            /// After `-`, `*` or `•`: a space or tab makes the line a bullet.
            case symbol
            /// After this many digits.
            case digits(Int)
            /// After digits and `.` or `)`: a space or tab makes the line a bullet.
            case numberEnd
            /// Decided, either way.
            case decided
        }

        var words = 0
        var lines = 0
        var bullets = 0
        var paragraphs = 0
        var inWord = false
        var lineHasContent = false
        var inParagraph = false
        var lead = Lead.indent

        mutating func consume(_ scalar: Unicode.Scalar) {
            if Self.isLineBreak(scalar) {
                endLine()
                return
            }
            if inWord {
                inWord = WordTokenizer.continuesWord(scalar)
            } else if WordTokenizer.startsWord(scalar) {
                inWord = true
                words += 1
            }
            if !scalar.properties.isWhitespace { lineHasContent = true }
            advanceLead(scalar)
        }

        mutating func endLine() {
            inWord = false
            if lineHasContent {
                lines += 1
                if !inParagraph { paragraphs += 1 }
                inParagraph = true
            } else {
                inParagraph = false
            }
            lineHasContent = false
            lead = .indent
        }

        private mutating func advanceLead(_ scalar: Unicode.Scalar) {
            let isBlank = scalar == " " || scalar == "\t"
            switch lead {
            case .indent:
                if isBlank { return }
                if scalar == "-" || scalar == "*" || scalar == "•" {
                    lead = .symbol
                } else if Self.isDigit(scalar) {
                    lead = .digits(1)
                } else {
                    lead = .decided
                }
            case .symbol, .numberEnd:
                if isBlank { bullets += 1 }
                lead = .decided
            case .digits(let count):
                if Self.isDigit(scalar) && count < 9 {
                    lead = .digits(count + 1)
                } else if scalar == "." || scalar == ")" {
                    lead = .numberEnd
                } else {
                    lead = .decided
                }
            case .decided:
                return
            }
        }

        private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
            scalar >= "0" && scalar <= "9"
        }

        private static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
            switch scalar {
            case "\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}": true
            default: false
            }
        }
    }
}
