import Testing

@testable import Comparison

@Suite struct TextSimilarityTests {
    @Test func oneWordLeftOutScoresByHand() {
        // Candidate 6 words, reference 5, LCS "the cat on the mat" = 5:
        // P = 5/6, R = 5/5, F1 = 2·5 / (6 + 5) = 10/11.
        let score = TextSimilarity(candidate: "the cat sat on the mat", reference: "the cat on the mat")
        #expect(score.candidateTokens == 6)
        #expect(score.referenceTokens == 5)
        #expect(score.commonTokens == 5)
        #expect(abs(score.precision - 5.0 / 6.0) < 1e-12)
        #expect(score.recall == 1)
        #expect(abs(score.f1 - 10.0 / 11.0) < 1e-12)
        #expect(!score.truncated)
    }

    @Test func wordOrderCounts() {
        // LCS "police the gunman" = 3 of 4 and 4: F1 = 6/8.
        #expect(TextSimilarity.rougeL(candidate: "police kill the gunman", reference: "police killed the gunman") == 0.75)
        // LCS "the gunman" = 2: F1 = 4/8.
        #expect(TextSimilarity.rougeL(candidate: "the gunman kill police", reference: "police killed the gunman") == 0.5)
    }

    @Test func f1IsSymmetric() {
        let forward = TextSimilarity.rougeL(candidate: "a b c d e", reference: "a c e f")
        let backward = TextSimilarity.rougeL(candidate: "a c e f", reference: "a b c d e")
        #expect(forward == backward)
        // LCS "a c e" = 3: F1 = 6/9.
        #expect(abs(forward - 6.0 / 9.0) < 1e-12)
    }

    @Test func caseSpacingAndPunctuationDoNotCount() {
        #expect(TextSimilarity.rougeL(candidate: "Hello,   WORLD!\n", reference: "hello world") == 1)
        #expect(TextSimilarity.rougeL(candidate: "CAFÉ crème", reference: "cafe\u{301} cre\u{300}me") == 1)
    }

    @Test func identicalTextsScoreOne() {
        let text = "The quick brown fox jumps over the lazy dog, twice: 2 times."
        #expect(TextSimilarity.rougeL(candidate: text, reference: text) == 1)
    }

    @Test func emptyEdges() {
        let bothEmpty = TextSimilarity(candidate: "", reference: "")
        #expect(bothEmpty.f1 == 1 && bothEmpty.precision == 1 && bothEmpty.recall == 1)
        // Punctuation only has no words: as empty.
        #expect(TextSimilarity.rougeL(candidate: "!!! ...", reference: "?") == 1)
        let candidateEmpty = TextSimilarity(candidate: "", reference: "some words")
        #expect(candidateEmpty.f1 == 0 && candidateEmpty.precision == 0 && candidateEmpty.recall == 0)
        #expect(TextSimilarity.rougeL(candidate: "some words", reference: "   ") == 0)
    }

    @Test func disjointTextsScoreZero() {
        #expect(TextSimilarity.rougeL(candidate: "alpha beta", reference: "gamma delta epsilon") == 0)
    }

    @Test func hugeInputIsCutToTheCap() {
        let words = (0..<50_000).map { "w\($0 % 97)" }.joined(separator: " ")
        let score = TextSimilarity(candidate: words, reference: words)
        #expect(score.truncated)
        #expect(score.candidateTokens == TextSimilarity.maxTokens)
        #expect(score.referenceTokens == TextSimilarity.maxTokens)
        #expect(score.f1 == 1)
    }

    @Test func oneHugeWordCostsItsLengthOnce() {
        let word = String(repeating: "a", count: 1_000_000)
        #expect(TextSimilarity.rougeL(candidate: word, reference: word) == 1)
        #expect(TextSimilarity.rougeL(candidate: word + "b", reference: word) == 0)
    }

    @Test func longestCommonSubsequenceByHand() {
        #expect(TextSimilarity.longestCommonSubsequence([1, 2, 3, 4], [2, 4, 3]) == 2)
        #expect(TextSimilarity.longestCommonSubsequence([1, 2, 3], []) == 0)
        #expect(TextSimilarity.longestCommonSubsequence([], [1]) == 0)
        #expect(TextSimilarity.longestCommonSubsequence([1, 3, 4, 1, 2, 1, 3], [3, 4, 1, 2, 1, 3]) == 6)
        #expect(TextSimilarity.longestCommonSubsequence([5, 5, 5], [5, 5]) == 2)
    }
}

@Suite struct WordTokenizerTests {
    @Test func lettersAndDigitsRunsLowercased() {
        let result = WordTokenizer.words(in: "Don't STOP-believing, 42x ½ über", limit: 100)
        #expect(result.words == ["don", "t", "stop", "believing", "42x", "über"])
        #expect(!result.truncated)
    }

    @Test func combiningMarksStayInTheirWord() {
        #expect(WordTokenizer.words(in: "cafe\u{301} au lait", limit: 10).words == ["cafe\u{301}", "au", "lait"])
    }

    @Test func limitKeepsThePrefixAndSaysSo() {
        let cut = WordTokenizer.words(in: "a b c", limit: 2)
        #expect(cut.words == ["a", "b"])
        #expect(cut.truncated)
        let exact = WordTokenizer.words(in: "a b c", limit: 3)
        #expect(exact.words == ["a", "b", "c"])
        #expect(!exact.truncated)
        #expect(WordTokenizer.words(in: "a", limit: -1) == ([], true))
    }
}
