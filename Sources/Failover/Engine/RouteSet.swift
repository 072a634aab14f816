/// A set of route indexes: a bit mask for the first 64 routes (no allocation), a `Set` beyond.
struct RouteSet: Sendable, Hashable {
    private var bits: UInt64 = 0
    private var overflow: Set<Int> = []

    func contains(_ index: Int) -> Bool {
        (0..<64).contains(index) ? bits & (1 << UInt64(index)) != 0 : overflow.contains(index)
    }

    mutating func insert(_ index: Int) {
        if (0..<64).contains(index) {
            bits |= 1 << UInt64(index)
        } else {
            overflow.insert(index)
        }
    }

    var isEmpty: Bool { bits == 0 && overflow.isEmpty }
}
