import FuzzTesting

/// The pieces of hostile input that only the job and config fuzzers need: numbers just inside
/// and just past the contract's limits, and strings the contract gives meaning to. The general
/// pieces (edge numbers, invalid UTF-8, byte mutations) come from `FuzzTesting`.
enum JobsFuzzPieces {
    /// Edge numbers, and the values either side of the job and config limits, as text.
    static let numbers =
        FuzzJSON.edgeNumbers + [
            "1.5", "2", "1000000", "1000001", "0.0000001", "3600000", "3600001", "86400001", "101", "11", "600001", "512", "4097",
        ]

    /// Strings that are awkward: empty, control characters, escapes, non-ASCII, names and dates.
    static let strings = [
        "", "a", "user", "assistant", "text", "json_schema", "w", "support-summaries", "claude-direct", "claude-sonnet-4-5",
        "\\u0000", "\\ud800", "\\udc00\\ud800", "\\uD83D\\uDE00", "é", "\u{1F600}", "\\\"", "\\\\", "${X}", "\\n\\t",
        "2026-11-24T22:10:03Z", "2026-02-30T25:61:61Z", "9999-12-31T23:59:59.999999999999+23:59", "0000-01-01T00:00:00-23:59",
    ]
}
