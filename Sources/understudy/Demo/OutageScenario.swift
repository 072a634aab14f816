import Simulator

/// What happens to the demo's primary over the traffic window, as fractions of it: healthy,
/// overloaded (529), unavailable (503), hanging (a blackhole that only the attempt timeout ends),
/// then recovered. A value type with no I/O: the driver asks it for the phase at a point of the
/// window and sets the simulator's mode when the phase changes.
struct OutageScenario: Sendable {
    /// One stretch of the primary's behaviour.
    struct Phase: Sendable, Hashable {
        /// Where it starts, as a fraction of the traffic window.
        var start: Double
        /// The short state shown in the progress bar.
        var label: String
        /// The line logged when it begins.
        var announcement: String
        var mode: SimulatorMode
    }

    /// A healthy provider's answer time in the demo.
    static let healthyLatency = SimulatorMode.Latency(minMs: 200, maxMs: 800)
    /// A failing provider answers its errors quickly.
    static let errorLatency = SimulatorMode.Latency(minMs: 20, maxMs: 80)

    let phases: [Phase] = [
        Phase(start: 0, label: "healthy", announcement: "primary healthy", mode: SimulatorMode(latency: healthyLatency)),
        Phase(
            start: 0.20, label: "529 overloaded", announcement: "primary down: 529 overloaded_error on every call",
            mode: SimulatorMode(fault: .error, status: 529, latency: errorLatency)
        ),
        Phase(
            start: 0.32, label: "503 unavailable", announcement: "primary down: 503 on every call",
            mode: SimulatorMode(fault: .error, status: 503, latency: errorLatency)
        ),
        Phase(
            start: 0.44, label: "hanging", announcement: "primary hangs: accepts calls and never answers",
            mode: SimulatorMode(fault: .blackhole)
        ),
        Phase(start: 0.72, label: "recovered", announcement: "primary back up", mode: SimulatorMode(latency: healthyLatency)),
    ]

    /// The index of the phase in force at `fraction` of the window (past the end: the last).
    func phaseIndex(at fraction: Double) -> Int {
        phases.lastIndex { $0.start <= fraction } ?? 0
    }
}
