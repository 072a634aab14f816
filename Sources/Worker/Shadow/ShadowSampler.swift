/// Which live jobs get shadowed: a job is in the sample when a hash of its id falls below the
/// sample rate, so the choice is the same on every worker and on every redelivery of the job,
/// and over many distinct ids the share sampled follows the rate (each id is an independent
/// draw, as far as the hash is uniform).
///
/// Guarantees: a rate of 0 (or less) samples nothing, a rate of 1 (or more) every job; never traps.
package enum ShadowSampler {
    /// Whether the job `id` is in a sample of `rate` (`0...1`).
    package static func isSampled(_ id: String, rate: Double) -> Bool {
        guard rate > 0 else { return false }
        guard rate < 1 else { return true }
        return fraction(of: id) < rate
    }

    /// The id's position in `[0, 1)`: the top 53 bits of a mixed 64-bit FNV-1a hash.
    package static func fraction(of id: String) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        // FNV-1a's high bits mix poorly for short, similar ids; a final avalanche (from
        // SplitMix64) spreads every input bit over the whole word.
        hash ^= hash >> 30
        hash &*= 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 27
        hash &*= 0x94d0_49bb_1331_11eb
        hash ^= hash >> 31
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }
}
