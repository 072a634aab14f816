/// Dead letters per minute by error class (`understudy.error.class`), over the same ring of
/// minutes as ``FleetWindow``. Dead letters belong to no workload or route.
///
/// Guarantees: at most ``FleetWindow/maxDeadLetterClasses`` distinct classes are kept (later
/// ones count as `(other)`), each cut to ``FleetWindow/maxNameBytes``; one slot per minute kept,
/// reused in place when its minute leaves the window.
package struct DeadLetterTally: Sendable, Hashable {
    /// Per slot, the minute it holds (`Int.min`: none).
    private var tags: [Int]
    private var slots: [[String: Int]]
    private var classes: Set<String> = []

    package init(minutes: Int) {
        tags = Array(repeating: Int.min, count: minutes)
        slots = Array(repeating: [:], count: minutes)
    }

    /// The name dead letters of `errorClass` are counted under.
    package mutating func name(for errorClass: String) -> String {
        let name = FleetWindow.cut(errorClass)
        if classes.contains(name) { return name }
        guard classes.count < FleetWindow.maxDeadLetterClasses else { return "(other)" }
        classes.insert(name)
        return name
    }

    /// Counts one dead letter of class `name` in `minute` (already checked to be kept).
    package mutating func record(_ name: String, minute: Int) {
        let slot = FleetWindow.slot(minute, of: tags.count)
        if tags[slot] != minute {
            tags[slot] = minute
            slots[slot].removeAll(keepingCapacity: true)
        }
        slots[slot][name, default: 0] = SafeNumber.add(slots[slot][name, default: 0], 1)
    }

    /// The counts of `minute` by class; empty when none were kept.
    package func counts(minute: Int) -> [String: Int] {
        let slot = FleetWindow.slot(minute, of: tags.count)
        return tags[slot] == minute ? slots[slot] : [:]
    }

    /// The counts over `minutes` by class.
    package func counts(minutes: ClosedRange<Int>) -> [String: Int] {
        var total: [String: Int] = [:]
        for minute in minutes {
            for (name, count) in counts(minute: minute) { total[name] = SafeNumber.add(total[name, default: 0], count) }
        }
        return total
    }
}
