/// How close a backup route's answer (the candidate) is to the primary's (the reference) in
/// wording: ROUGE-L, the longest common subsequence (LCS) of their words, as precision
/// (`LCS / candidate words`), recall (`LCS / reference words`) and their F1
/// (`2 · LCS / (candidate words + reference words)`).
///
/// Words are ``WordTokenizer``'s: runs of letters and digits, lowercased, so case, spacing and
/// punctuation do not count. Edge cases: identical texts score 1; two texts with no words (both
/// empty, or punctuation only) score 1; one text with words against one without scores 0.
///
/// Guarantees: never traps, and the work is bounded whatever the input: each side is cut to its
/// first ``maxTokens`` words (``truncated`` says when that happened, and the scores are then
/// those of the two prefixes), so the LCS costs at most `maxTokens²` integer comparisons and
/// `maxTokens + 1` integers of memory per row; reading the words is one pass over the text that
/// stops after the last word kept. Words are compared as small integers, so a very long word
/// costs its length once (when read), not on every comparison.
package struct TextSimilarity: Sendable, Hashable {
    /// The most words read from each side. 2,000 words is about 13,000 characters of English,
    /// longer than most answers; the LCS over two such prefixes is 4 million steps.
    package static let maxTokens = 2_000

    /// Words of the candidate compared (at most ``maxTokens``).
    package let candidateTokens: Int
    /// Words of the reference compared (at most ``maxTokens``).
    package let referenceTokens: Int
    /// The length of the longest common subsequence of the two word lists.
    package let commonTokens: Int
    /// Whether either side had more than ``maxTokens`` words (only the prefixes were compared).
    package let truncated: Bool

    /// Compares `candidate` (the backup's answer) with `reference` (the primary's).
    package init(candidate: String, reference: String) {
        let candidateWords = WordTokenizer.words(in: candidate, limit: Self.maxTokens)
        let referenceWords = WordTokenizer.words(in: reference, limit: Self.maxTokens)
        // Intern the words so the LCS compares integers, not strings.
        var ids: [String: Int] = [:]
        func intern(_ words: [String]) -> [Int] {
            words.map { word in
                if let id = ids[word] { return id }
                let id = ids.count
                ids[word] = id
                return id
            }
        }
        let candidateIDs = intern(candidateWords.words)
        let referenceIDs = intern(referenceWords.words)
        candidateTokens = candidateIDs.count
        referenceTokens = referenceIDs.count
        commonTokens = Self.longestCommonSubsequence(candidateIDs, referenceIDs)
        truncated = candidateWords.truncated || referenceWords.truncated
    }

    /// The ROUGE-L F1 of `candidate` against `reference`, in `0...1`.
    package static func rougeL(candidate: String, reference: String) -> Double {
        TextSimilarity(candidate: candidate, reference: reference).f1
    }

    /// The share of the candidate's words that are in the common subsequence (1 when both have
    /// no words, 0 when only one has none).
    package var precision: Double {
        ratio(commonTokens, candidateTokens)
    }

    /// The share of the reference's words that are in the common subsequence (1 when both have
    /// no words, 0 when only one has none).
    package var recall: Double {
        ratio(commonTokens, referenceTokens)
    }

    /// The harmonic mean of ``precision`` and ``recall``: ROUGE-L F1, in `0...1`.
    package var f1: Double {
        if candidateTokens == 0 && referenceTokens == 0 { return 1 }
        return 2 * Double(commonTokens) / Double(candidateTokens + referenceTokens)
    }

    private func ratio(_ part: Int, _ whole: Int) -> Double {
        if candidateTokens == 0 && referenceTokens == 0 { return 1 }
        return whole == 0 ? 0 : Double(part) / Double(whole)
    }

    /// The length of the longest common subsequence of `first` and `second`: the classic dynamic
    /// programme, keeping two rows as long as the shorter list.
    static func longestCommonSubsequence(_ first: [Int], _ second: [Int]) -> Int {
        let (outer, inner) = first.count >= second.count ? (first, second) : (second, first)
        guard !inner.isEmpty else { return 0 }
        var previous = [Int](repeating: 0, count: inner.count + 1)
        var current = previous
        for token in outer {
            for column in 1...inner.count {
                current[column] =
                    token == inner[column - 1]
                    ? previous[column - 1] + 1
                    : max(previous[column], current[column - 1])
            }
            swap(&previous, &current)
        }
        return previous[inner.count]
    }
}
