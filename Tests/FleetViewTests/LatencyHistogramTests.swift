import Comparison
import FleetView
import Testing

@Suite struct LatencyHistogramTests {
    @Test func bucketsAreMonotoneAndTheirMiddleIsWithinTheBound() {
        var previous = 0
        var value = 0
        while value < LatencyHistogram.maxTrackedMs {
            let bucket = LatencyHistogram.bucketIndex(ms: value)
            #expect(bucket >= previous)
            #expect(bucket < LatencyHistogram.bucketCount - 1)
            let middle = LatencyHistogram.representative(bucket: bucket)
            if value < 8 { #expect(middle == Double(value)) }
            #expect(abs(middle - Double(value)) <= LatencyHistogram.relativeErrorBound * Double(value))
            previous = bucket
            value += value < 4_096 ? 1 : value / 97
        }
        #expect(LatencyHistogram.bucketIndex(ms: Int.max) == LatencyHistogram.bucketCount - 1)
        #expect(LatencyHistogram.representative(bucket: LatencyHistogram.bucketCount - 1) == Double(LatencyHistogram.maxTrackedMs))
    }

    @Test func percentilesMatchExactOnesWithinTheBound() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for round in 0..<50 {
            var histogram = LatencyHistogram()
            var values: [Double] = []
            for _ in 0..<(1 + round * 37) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let value = Int((state >> 33) % 200_000)
                histogram.record(ms: value)
                values.append(Double(value))
            }
            var distribution = LatencyDistribution()
            distribution.add(histogram)
            let exact = Percentiles(values)
            for p in [0.0, 1, 50, 90, 95, 99, 100] {
                let estimate = try #require(distribution.percentile(p))
                let truth = try #require(exact.percentile(p))
                #expect(abs(estimate - truth) <= LatencyHistogram.relativeErrorBound * truth)
            }
        }
    }

    @Test func emptyAndOddInputs() {
        var histogram = LatencyHistogram()
        histogram.record(ms: -1)
        histogram.record(ms: Int.min)
        #expect(histogram.total == 0)
        var distribution = LatencyDistribution()
        distribution.add(histogram)
        #expect(distribution.p50 == nil)
        histogram.record(ms: 5)
        distribution.add(histogram)
        #expect(distribution.percentile(.nan) == nil)
        #expect(distribution.percentile(-.infinity) == 5)
        #expect(distribution.percentile(.infinity) == 5)
        distribution.removeAll()
        #expect(distribution.total == 0)
    }
}
