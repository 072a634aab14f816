import Testing

@testable import Comparison

@Suite struct PercentilesTests {
    @Test func nearestRankByHand() {
        // Ranks ⌈p·5/100⌉: p30 → 2, p40 → 2, p50 → 3, p100 → 5.
        let values = Percentiles([35, 20, 15, 50, 40])
        #expect(values.percentile(30) == 20)
        #expect(values.percentile(40) == 20)
        #expect(values.percentile(50) == 35)
        #expect(values.percentile(100) == 50)
        #expect(values.sorted == [15, 20, 35, 40, 50])
    }

    @Test func wholePercentsHaveNoOffByOne() {
        let twenty = Percentiles((1...20).map(Double.init))
        #expect(twenty.p50 == 10)
        #expect(twenty.p95 == 19)
        #expect(twenty.p99 == 20)
        let hundred = Percentiles((1...100).map(Double.init))
        #expect(hundred.p50 == 50)
        #expect(hundred.p95 == 95)
        #expect(hundred.p99 == 99)
        #expect(hundred.percentile(99.5) == 100)
    }

    @Test func outOfRangePercentsAreClamped() {
        let values = Percentiles([3, 1, 2])
        #expect(values.percentile(0) == 1)
        #expect(values.percentile(-5) == 1)
        #expect(values.percentile(150) == 3)
        #expect(values.percentile(.infinity) == 3)
        #expect(values.percentile(-.infinity) == 1)
        #expect(values.percentile(.nan) == nil)
    }

    @Test func emptyGivesNil() {
        let empty = Percentiles([])
        #expect(empty.count == 0)
        #expect(empty.p50 == nil && empty.p95 == nil && empty.p99 == nil)
    }

    @Test func nanIsLeftOut() {
        #expect(Percentiles([.nan, .nan]).p50 == nil)
        let values = Percentiles([3, .nan, 1, 2])
        #expect(values.count == 3)
        #expect(values.p50 == 2)
    }

    @Test func singleValueAndInfinities() {
        let single = Percentiles([7])
        #expect(single.percentile(0) == 7 && single.p50 == 7 && single.p99 == 7)
        let withInfinity = Percentiles([1, .infinity, -.infinity])
        #expect(withInfinity.p99 == .infinity)
        #expect(withInfinity.percentile(1) == -.infinity)
    }
}
