import Completions
import Providers
import Synchronization

/// Memoized extractive answers: the demo and the benchmarks send the same few texts over and
/// over, so the simulator's healthy path is a dictionary lookup after the first request.
final class SummaryCache: Sendable {
    private let provider = ExtractiveProvider()
    private let cache = Mutex<[CompletionRequest: CompletionResponse]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func answer(for request: CompletionRequest) -> CompletionResponse {
        if let hit = cache.withLock({ $0[request] }) { return hit }
        let answer = provider.answer(request)
        cache.withLock { cache in
            if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
            cache[request] = answer
        }
        return answer
    }
}
