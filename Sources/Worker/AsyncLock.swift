import Synchronization

/// Mutual exclusion for async sections (one transaction at a time), waiters served in order.
final class AsyncLock: Sendable {
    private let semaphore = InFlightLimit(limit: 1)

    func withLock<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        await semaphore.acquire()
        defer { semaphore.release() }
        return try await body()
    }
}
