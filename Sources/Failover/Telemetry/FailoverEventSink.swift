/// Where the engine reports events. `record` is called synchronously on the job's task, never
/// while the engine holds its lock, so it must be quick and must not block (hand the event to a
/// buffer or a producer queue).
package protocol FailoverEventSink: Sendable {
    func record(_ event: FailoverEvent)
}

/// A sink that drops every event.
package struct DiscardingEventSink: FailoverEventSink {
    package init() {}
    package func record(_ event: FailoverEvent) {}
}
