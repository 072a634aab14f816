import Synchronization

/// One timer for many call deadlines: instead of a timer task per call (a task, a clock sleep and
/// its wake-up, for every call, most of which end long before their deadline), each call
/// registers its deadline here and one alarm on the clock, armed for the earliest deadline,
/// cancels the calls whose deadlines pass. The failover engine cuts attempts with one; the HTTP
/// transport cuts response bodies that stall after their head with another. (It lives here, at
/// the bottom of the module graph, so both can share it; it is `package`, not public API.)
///
/// A call runs in a child task that registers itself with ``arm(_:task:)`` and deregisters with
/// ``disarm(_:)`` before it returns; the timer cancels a registered task only while holding its
/// lock, so it never touches a task that has finished. Cancellation handlers of the provider
/// therefore run under this lock: they must not call back into the timer (providers never see it).
///
/// Deadlines sit in a min-heap with lazy deletion (a finished call only leaves the live table);
/// the heap is rebuilt from the live table when stale entries outnumber live ones, so memory
/// follows the calls in flight, not the calls made.
///
/// Not generic over the engine's clock (times are durations since the engine's origin, like the
/// engine's value types use), so the per-call path needs no generic metadata at run time.
package final class DeadlineTimer: Sendable {
    /// Asks the clock to call `fire` once time reaches `instant` (since the engine's origin).
    package typealias Alarm = @Sendable (_ instant: Duration, _ fire: @escaping @Sendable () -> Void) -> Void

    /// The task of a call in flight. `@unchecked Sendable`: it is only used (to cancel the task)
    /// under the timer's lock, while the task is known to be running (it has not deregistered).
    private struct Registration: @unchecked Sendable {
        var deadline: Duration
        var task: UnsafeCurrentTask?
        /// What the caller groups calls by (the engine: its route), for ``cut(tag:)``; 0: none.
        var tag: Int
    }

    private struct State: Sendable {
        var heap: [(deadline: Duration, id: Int)] = []
        var live: [Int: Registration] = [:]
        /// Calls whose deadline passed, until they deregister.
        var fired: Set<Int> = []
        /// Calls cut before their deadline (``cut(tag:)``), until they deregister.
        var cut: Set<Int> = []
        var nextID = 0
        /// The earliest alarm not yet rung.
        var armed: Duration?
    }

    /// The time since the timer's origin, as the deadlines count it.
    package let now: @Sendable () -> Duration
    private let alarm: Alarm
    private let state = Mutex(State())

    /// A timer reading the time with `now` and waiting with `alarm`.
    package init(now: @escaping @Sendable () -> Duration, alarm: @escaping Alarm) {
        self.now = now
        self.alarm = alarm
    }

    /// Registers `task` (the current task, running a call) to be cancelled at `deadline`.
    /// Returns the id to pass to ``disarm(_:)``.
    package func arm(_ deadline: Duration, task: UnsafeCurrentTask?, tag: Int = 0) -> Int {
        let (id, ring) = state.withLock { state -> (Int, Bool) in
            state.nextID &+= 1
            let id = state.nextID
            state.live[id] = Registration(deadline: deadline, task: task, tag: tag)
            state.heap.pushHeap((deadline, id))
            guard state.armed.map({ deadline < $0 }) ?? true else { return (id, false) }
            state.armed = deadline
            return (id, true)
        }
        if ring { alarm(deadline) { [self] in fire() } }
        return id
    }

    /// Deregisters a call; returns whether its deadline passed (the timer cancelled it).
    package func disarm(_ id: Int) -> Bool {
        disarmNoting(id).fired
    }

    /// ``disarm(_:)``, also saying whether ``cut(tag:)`` ended the call (then `fired` is true too).
    package func disarmNoting(_ id: Int) -> (fired: Bool, cut: Bool) {
        state.withLock { state in
            state.live.removeValue(forKey: id)
            let cut = state.cut.remove(id) != nil
            let fired = state.fired.remove(id) != nil || cut
            if state.heap.count > 2 * state.live.count + 64 {
                state.heap = state.live.map { ($0.value.deadline, $0.key) }
                state.heap.heapify()
            }
            return (fired, cut)
        }
    }

    /// Cancels now every call registered with `tag` (not 0), as if its deadline had passed;
    /// their ``disarmNoting(_:)`` says `cut`. Returns how many it cut.
    @discardableResult
    package func cut(tag: Int) -> Int {
        guard tag != 0 else { return 0 }
        return state.withLock { state in
            let ids = state.live.filter { $0.value.tag == tag }.map(\.key)
            for id in ids {
                guard let registration = state.live.removeValue(forKey: id) else { continue }
                state.cut.insert(id)
                registration.task?.cancel()
            }
            return ids.count
        }
    }

    /// Cancels every call whose deadline has passed, and arms the alarm for the next one.
    private func fire() {
        let now = self.now()
        let next: Duration? = state.withLock { state in
            while let top = state.heap.first, top.deadline <= now {
                state.heap.popHeap()
                guard let registration = state.live.removeValue(forKey: top.id) else { continue }
                state.fired.insert(top.id)
                registration.task?.cancel()
            }
            if let armed = state.armed, armed <= now { state.armed = nil }
            // Skip stale entries, so the alarm is armed for a call still in flight.
            while let top = state.heap.first, state.live[top.id] == nil { state.heap.popHeap() }
            guard let top = state.heap.first, state.armed.map({ top.deadline < $0 }) ?? true else { return nil }
            state.armed = top.deadline
            return top.deadline
        }
        if let next { alarm(next) { [self] in fire() } }
    }

    /// Calls registered and not yet deregistered, and the entries of the heap (for tests).
    package var counts: (registered: Int, heap: Int) { state.withLock { ($0.live.count, $0.heap.count) } }
}

extension Array {
    /// Adds `element` to a binary min-heap ordered by `deadline`.
    fileprivate mutating func pushHeap(_ element: Element) where Element == (deadline: Duration, id: Int) {
        append(element)
        var child = count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard self[child].deadline < self[parent].deadline else { break }
            swapAt(child, parent)
            child = parent
        }
    }

    /// Removes the smallest element of a binary min-heap.
    fileprivate mutating func popHeap() where Element == (deadline: Duration, id: Int) {
        guard count > 1 else {
            removeAll(keepingCapacity: true)
            return
        }
        self[0] = removeLast()
        siftDown(from: 0)
    }

    fileprivate mutating func heapify() where Element == (deadline: Duration, id: Int) {
        for index in stride(from: count / 2 - 1, through: 0, by: -1) { siftDown(from: index) }
    }

    private mutating func siftDown(from start: Int) where Element == (deadline: Duration, id: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            let right = left + 1
            let smaller = right < count && self[right].deadline < self[left].deadline ? right : left
            guard self[smaller].deadline < self[parent].deadline else { return }
            swapAt(smaller, parent)
            parent = smaller
        }
    }
}
