import Completions

/// Exponential backoff with full jitter (AWS style): the n-th wait (0-based) is uniform in
/// `[0, min(cap, base × 2^n))`. The jitter is an argument, so tests are deterministic.
package struct Backoff: Sendable, Hashable {
    package var base: Duration
    package var cap: Duration

    package init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    /// The largest wait for retry `n` (0-based): `min(cap, base × 2^n)`.
    package func ceiling(retry n: Int) -> Duration {
        let exponent = min(max(n, 0), 62)
        let grown = base.seconds * Double(Int64(1) << exponent)
        return grown >= cap.seconds ? cap : base * Int(Int64(1) << exponent)
    }

    /// The wait for retry `n` with `jitter` in `[0, 1)` (values outside are clamped).
    package func delay(retry n: Int, jitter: Double) -> Duration {
        let unit = min(max(jitter, 0), 1)
        return ceiling(retry: n) * unit
    }
}
