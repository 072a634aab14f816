import Foundation

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, deterministic generator. The same seed
/// gives the same inputs on every platform, so a fuzz failure is replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// True with probability `1/n`.
    mutating func oneIn(_ n: Int) -> Bool {
        below(n) == 0
    }

    mutating func pick<T>(_ choices: [T]) -> T {
        choices[below(choices.count)]
    }
}

/// How long a fuzz test runs and from which seed, from the environment:
/// `UNDERSTUDY_FUZZ_ITERATIONS` (a long run: that many inputs, no time limit) and
/// `UNDERSTUDY_FUZZ_SEED` (replay). By default a short run that fits CI: at most `defaultIterations`
/// inputs or `defaultSeconds`, whichever comes first, from a fresh seed printed at the start (so a
/// crash, which takes the process down, can still be replayed).
struct FuzzRun {
    let name: String
    let seed: UInt64
    let iterations: Int
    let timeLimit: Duration?

    init(_ name: String, defaultIterations: Int = 20_000, defaultSeconds: Int = 2) {
        let environment = ProcessInfo.processInfo.environment
        self.name = name
        if let text = environment["UNDERSTUDY_FUZZ_SEED"], let seed = UInt64(text) {
            self.seed = seed
        } else {
            self.seed = UInt64.random(in: 0...UInt64.max)
        }
        if let text = environment["UNDERSTUDY_FUZZ_ITERATIONS"], let iterations = Int(text), iterations > 0 {
            self.iterations = iterations
            timeLimit = nil
        } else {
            iterations = defaultIterations
            timeLimit = .seconds(defaultSeconds)
        }
        FileHandle.standardError.write(Data("fuzz \(name): UNDERSTUDY_FUZZ_SEED=\(seed), up to \(iterations) inputs\n".utf8))
    }

    /// What a failure says so it can be replayed.
    func replay(_ iteration: Int) -> String {
        "fuzz \(name) iteration \(iteration): replay with UNDERSTUDY_FUZZ_SEED=\(seed)"
    }

    /// Calls `body` with each iteration's own generator (seeded from the run's seed and the
    /// iteration, so any iteration can be reproduced alone); returns how many ran.
    @discardableResult
    func run(_ body: (Int, inout SplitMix64) -> Void) -> Int {
        let clock = ContinuousClock()
        let start = clock.now
        var master = SplitMix64(seed: seed)
        for iteration in 0..<iterations {
            if let timeLimit, iteration % 64 == 0, clock.now - start > timeLimit { return iteration }
            var generator = SplitMix64(seed: master.next())
            body(iteration, &generator)
        }
        return iterations
    }
}

/// Pieces of hostile input shared by the fuzzers.
enum FuzzPieces {
    /// Numbers at the edges, as text.
    static let numbers = [
        "1e308", "-1e308", "1.7976931348623157e308", "1e309", "-1e309", "-0", "-0.0", "0", "1e-400", "4.9e-324",
        "12345678901234567890", "-12345678901234567890", "99999999999999999999", "9007199254740993", "9223372036854775807",
        "9223372036854775808", "-9223372036854775809", "1.5", "-1", "2", "1000000", "1000001", "0.0000001", "1E2", "1e+2",
        "3600000", "3600001", "86400001", "101", "11", "600001", "512", "4097",
    ]

    /// Strings that are awkward: empty, control characters, escapes, non-ASCII, long.
    static let strings = [
        "", "a", "user", "assistant", "text", "json_schema", "w", "support-summaries", "claude-direct", "claude-sonnet-4-5",
        "\\u0000", "\\ud800", "\\udc00\\ud800", "\\uD83D\\uDE00", "é", "\u{1F600}", "\\\"", "\\\\", "${X}", "\\n\\t",
        "2026-11-24T22:10:03Z", "2026-02-30T25:61:61Z", "9999-12-31T23:59:59.999999999999+23:59", "0000-01-01T00:00:00-23:59",
    ]

    /// Byte sequences that are not UTF-8: a lone continuation byte, an overlong encoding, a
    /// surrogate, a truncated sequence, bytes never valid.
    static let invalidUTF8: [[UInt8]] = [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xFF], [0xFE], [0xF4, 0x90, 0x80, 0x80]]

    /// Applies one random byte-level mutation.
    static func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64, tokens: [String]) {
        let position = bytes.isEmpty ? 0 : random.below(bytes.count + 1)
        switch random.below(9) {
        case 0 where !bytes.isEmpty:
            bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
        case 1:
            bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
        case 2 where !bytes.isEmpty:
            let start = random.below(bytes.count)
            let end = min(bytes.count, start + 1 + random.below(32))
            bytes.removeSubrange(start..<end)
        case 3 where !bytes.isEmpty:
            // Duplicate a range (duplicate keys, repeated members).
            let start = random.below(bytes.count)
            let end = min(bytes.count, start + 1 + random.below(64))
            bytes.insert(contentsOf: bytes[start..<end], at: min(position, bytes.count))
        case 4:
            bytes.insert(contentsOf: Array(random.pick(tokens).utf8), at: position)
        case 5:
            bytes.insert(contentsOf: random.pick(invalidUTF8), at: position)
        case 6:
            let depth = random.pick([10, 63, 64, 65, 255, 256, 257, 1_000, 5_000])
            let open = random.pick(["[", "{\"a\":", "- ", "  "])
            bytes.insert(contentsOf: Array(String(repeating: open, count: depth).utf8), at: position)
        case 7:
            bytes.insert(contentsOf: Array(random.pick(numbers).utf8), at: position)
        default:
            let size = random.pick([1_000, 70_000, 300_000])
            bytes.insert(contentsOf: Array(repeating: UInt8(ascii: random.pick(["x", "a", "9"] as [Unicode.Scalar])), count: size), at: position)
        }
    }
}
