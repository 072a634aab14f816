/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, reproducible generator. The same seed
/// gives the same inputs on every machine, so a failure is replayed with `UNDERSTUDY_FUZZ_SEED`
/// (see ``Fuzz``).
package struct FuzzRandom: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `p`.
    package mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }

    /// True with probability `1/n` (n > 0).
    package mutating func oneIn(_ n: Int) -> Bool { below(n) == 0 }

    /// A value in `0..<bound` (bound > 0).
    package mutating func below(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }

    /// A uniformly chosen element (the collection must not be empty).
    package mutating func pick<T>(_ options: [T]) -> T { options[below(options.count)] }
}
