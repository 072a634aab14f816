import Foundation

/// How a fuzz test runs: `UNDERSTUDY_FUZZ_ITERATIONS` iterations when set (a long run), else as
/// many as fit in a short time budget (CI). The seed is `UNDERSTUDY_FUZZ_SEED` when set (decimal
/// or `0x` hex), else fresh; it is written to standard error before the run (unbuffered, so the
/// log of a crash, which takes the test process down, still shows it) and named in every failure.
package enum Fuzz {
    /// The time budget per fuzz test when no iteration count is given.
    package static let budget: Duration = .milliseconds(1500)

    /// The fewest iterations a budgeted run makes, however slow each one is.
    package static let minimumIterations = 64

    /// `UNDERSTUDY_FUZZ_ITERATIONS`, when set to a positive number.
    package static var iterations: Int? {
        ProcessInfo.processInfo.environment["UNDERSTUDY_FUZZ_ITERATIONS"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    /// `UNDERSTUDY_FUZZ_SEED` when set, else a fresh random seed.
    package static var seed: UInt64 {
        if let text = ProcessInfo.processInfo.environment["UNDERSTUDY_FUZZ_SEED"] {
            if let value = UInt64(text) { return value }
            if text.hasPrefix("0x"), let value = UInt64(text.dropFirst(2), radix: 16) { return value }
        }
        return UInt64.random(in: .min ... .max)
    }

    /// Runs `body` with a generator seeded for each iteration from the run's seed, so any
    /// iteration replays alone; `body` gets the replay instructions of its iteration, to name in
    /// its expectations. Returns the iterations run.
    @discardableResult
    package static func run(_ name: String, _ body: (inout FuzzRandom, _ seed: String) throws -> Void) rethrows -> Int {
        let master = seed
        let limit = iterations
        let plan = limit.map { "\($0) iterations" } ?? "for \(budget)"
        FileHandle.standardError.write(Data("fuzz \(name): UNDERSTUDY_FUZZ_SEED=\(master) \(plan)\n".utf8))
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: budget)
        var iteration = 0
        var mixer = FuzzRandom(seed: master)
        while limit.map({ iteration < $0 }) ?? (iteration < minimumIterations || clock.now < end) {
            var random = FuzzRandom(seed: mixer.next())
            try body(&random, "fuzz \(name): UNDERSTUDY_FUZZ_SEED=\(master) iteration \(iteration)")
            iteration += 1
        }
        return iteration
    }
}
