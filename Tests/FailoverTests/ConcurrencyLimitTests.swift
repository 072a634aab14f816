import Failover
import Testing

@Suite struct ConcurrencyLimitTests {
    @Test func unlimitedByDefault() {
        var limit = ConcurrencyLimit()
        #expect((0..<10_000).allSatisfy { _ in limit.tryAcquire() })
        #expect(limit.currentLimit == nil)
    }

    @Test func hardLimit() {
        var limit = ConcurrencyLimit(.init(maxConcurrency: 2, adaptive: false))
        let first = limit.tryAcquire()
        let second = limit.tryAcquire()
        let third = limit.tryAcquire()
        #expect(first && second && !third)
        limit.release()
        let fourth = limit.tryAcquire()
        #expect(fourth)
        limit.recordOverload(at: .zero)
        #expect(limit.currentLimit == 2)
    }

    @Test func multiplicativeDecreaseAtMostOncePerInterval() {
        var limit = ConcurrencyLimit(.init(maxConcurrency: 10, adaptive: true, decreaseFactor: 0.5, minimum: 1, decreaseInterval: .seconds(1)))
        limit.recordOverload(at: .zero)
        #expect(limit.currentLimit == 5)
        limit.recordOverload(at: .milliseconds(500))
        #expect(limit.currentLimit == 5)
        limit.recordOverload(at: .seconds(2))
        #expect(limit.currentLimit == 2)
        for second in 3..<10 { limit.recordOverload(at: .seconds(second)) }
        #expect(limit.currentLimit == 1)
    }

    @Test func additiveIncreaseUpToTheMaximum() {
        var limit = ConcurrencyLimit(.init(maxConcurrency: 4, adaptive: true, decreaseFactor: 0.5))
        limit.recordOverload(at: .zero)
        #expect(limit.currentLimit == 2)
        limit.recordSuccess()
        limit.recordSuccess()
        #expect(limit.currentLimit == 2)  // 2 + 1/2 + 1/2.5 = 2.9
        for _ in 0..<5 { limit.recordSuccess() }  // +0.34, +0.31, +0.28, +0.26: past 4, capped
        #expect(limit.currentLimit == 4)
        for _ in 0..<100 { limit.recordSuccess() }
        #expect(limit.currentLimit == 4)
    }

    @Test func unlimitedLearnsFromInFlightOnOverload() {
        var limit = ConcurrencyLimit(.init(adaptive: true, decreaseFactor: 0.5))
        for _ in 0..<20 { _ = limit.tryAcquire() }
        limit.recordOverload(at: .zero)
        #expect(limit.currentLimit == 10)
        let acquired = limit.tryAcquire()
        #expect(!acquired)
    }
}
