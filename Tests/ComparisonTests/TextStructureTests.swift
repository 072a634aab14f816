import Testing

@testable import Comparison

@Suite struct TextStructureTests {
    @Test func countsAShortAnswer() {
        let text = "Intro line.\n\n- one\n- two\n* three\n\nOutro."
        let structure = TextStructure(of: text)
        #expect(structure == TextStructure(characters: text.count, words: 6, lines: 5, bullets: 3, paragraphs: 3))
        #expect(structure.characters == 40)
    }

    @Test func bulletMarkersNeedASpaceAfterThem() {
        let text = "1. first\n2) second\n  10. tenth\n3.14 is pi\n**bold**\n---\n-5 degrees\n• dot\n\t-\ttabbed\n1234567890. too long"
        let structure = TextStructure(of: text)
        #expect(structure.bullets == 5)
        #expect(structure.lines == 10)
        #expect(structure.paragraphs == 1)
    }

    @Test func aMarkerAloneIsNotABullet() {
        #expect(TextStructure(of: "-\n*\n3.").bullets == 0)
        #expect(TextStructure(of: "-").lines == 1)
    }

    @Test func lineBreaksOfEveryKind() {
        let crlf = TextStructure(of: "a\r\n\r\nb\r\n")
        #expect(crlf.lines == 2)
        #expect(crlf.paragraphs == 2)
        let carriageReturn = TextStructure(of: "a\rb")
        #expect(carriageReturn.lines == 2)
        #expect(carriageReturn.paragraphs == 1)
        #expect(TextStructure(of: "a\u{2028}b\u{2029}\u{2029}c").paragraphs == 2)
    }

    @Test func whitespaceOnlyLinesAreBlank() {
        let structure = TextStructure(of: "a\n   \t\nb\n\n\n\nc\n")
        #expect(structure.lines == 3)
        #expect(structure.paragraphs == 3)
    }

    @Test func emptyText() {
        #expect(TextStructure(of: "") == TextStructure(characters: 0, words: 0, lines: 0, bullets: 0, paragraphs: 0))
        #expect(TextStructure(of: "\n\n  \n") == TextStructure(characters: 5, words: 0, lines: 0, bullets: 0, paragraphs: 0))
    }

    @Test func charactersAreGraphemes() {
        #expect(TextStructure(of: "e\u{301}👍🏽").characters == 2)
    }

    @Test func largeInputIsOnePass() {
        let paragraph = "- item one\n- item two\n"
        let text = String(repeating: paragraph + "\n", count: 10_000)
        let structure = TextStructure(of: text)
        #expect(structure.bullets == 20_000)
        #expect(structure.paragraphs == 10_000)
        #expect(structure.words == 40_000)
    }
}

@Suite struct StructureComparisonTests {
    @Test func backupAgainstPrimary() {
        let comparison = StructureComparison(primary: "- a\n- b\n\nend", backup: "- a\n- b\n- c\n\nend\n\nmore text here")
        #expect(comparison.bulletDifference == 1)
        #expect(!comparison.sameBulletCount)
        #expect(comparison.paragraphDifference == 1)
        #expect(!comparison.sameParagraphCount)
        #expect(comparison.lengthRatio == 32.0 / 12.0)
    }

    @Test func sameShape() {
        let comparison = StructureComparison(primary: "one\n\ntwo", backup: "uno\n\ndos")
        #expect(comparison.sameBulletCount && comparison.sameParagraphCount)
        #expect(comparison.lengthRatio == 1)
    }

    @Test func lengthRatioIsDefinedForEmptyTexts() {
        #expect(StructureComparison(primary: "", backup: "").lengthRatio == 1)
        #expect(StructureComparison(primary: "", backup: "x").lengthRatio == .infinity)
        #expect(StructureComparison(primary: "abcd", backup: "").lengthRatio == 0)
        #expect(StructureComparison(primary: "ab", backup: "abcd").lengthRatio == 2)
    }
}
