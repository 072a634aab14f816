/// Byte-level hostile input for any text format (JSON, YAML): bytes that are not UTF-8, and one
/// random mutation at a time (flipped, inserted, cut or repeated bytes, format tokens, invalid
/// UTF-8, deep nesting, edge numbers, huge runs).
package enum FuzzBytes {
    /// Byte sequences that are not UTF-8: a lone continuation byte, overlong encodings, a
    /// surrogate, a truncated sequence, bytes never valid, a code point past U+10FFFF.
    package static let invalidUTF8: [[UInt8]] = [
        [0x80], [0xC0, 0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xFF], [0xFE], [0xF4, 0x90, 0x80, 0x80],
    ]

    /// Applies one random mutation to `bytes`, inserting pieces of the format from `tokens` and
    /// number literals from `numbers`.
    package static func mutate(
        _ bytes: inout [UInt8], _ random: inout FuzzRandom, tokens: [String], numbers: [String] = FuzzJSON.edgeNumbers
    ) {
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
