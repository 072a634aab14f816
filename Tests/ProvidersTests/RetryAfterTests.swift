import Foundation
import NIOHTTP1
import Testing

@testable import Providers

@Suite struct RetryAfterTests {
    let now = Fixtures.now  // 2025-06-15T15:06:40Z

    @Test func deltaSeconds() {
        #expect(RetryAfter.parseRetryAfter("30", now: now) == .seconds(30))
        #expect(RetryAfter.parseRetryAfter(" 1.5 ", now: now) == .milliseconds(1500))
        #expect(RetryAfter.parseRetryAfter("0", now: now) == .zero)
        #expect(RetryAfter.parseRetryAfter("-4", now: now) == .zero)
        #expect(RetryAfter.parseRetryAfter("soon", now: now) == nil)
    }

    @Test func httpDatesInAllThreeForms() {
        #expect(RetryAfter.parseRetryAfter("Sun, 15 Jun 2025 15:07:10 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parseRetryAfter("Sunday, 15-Jun-25 15:07:10 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parseRetryAfter("Sun Jun 15 15:07:10 2025", now: now) == .seconds(30))
        #expect(RetryAfter.parseRetryAfter("Sun, 15 Jun 2025 15:00:00 GMT", now: now) == .zero, "a date in the past means now")
        #expect(RetryAfter.parseRetryAfter("Sun, 15 Foo 2025 15:00:00 GMT", now: now) == nil)
    }

    @Test func milliseconds() {
        #expect(RetryAfter.parseMilliseconds("1250") == .milliseconds(1250))
        #expect(RetryAfter.parseMilliseconds("x") == nil)
    }

    @Test func rfc3339() {
        #expect(RetryAfter.parseRFC3339("2025-06-15T15:06:50Z", now: now) == .seconds(10))
        #expect(RetryAfter.parseRFC3339("2025-06-15T15:06:40.250Z", now: now) == .milliseconds(250))
        #expect(RetryAfter.parseRFC3339("2025-06-15T17:06:50+02:00", now: now) == .seconds(10))
        #expect(RetryAfter.parseRFC3339("2025-06-15 15:06:50", now: now) == nil)
    }

    @Test(arguments: [
        ("1s", Duration.seconds(1)), ("6m0s", .seconds(360)), ("12ms", .milliseconds(12)), ("1h2m3.5s", .milliseconds(3_723_500)),
        ("250us", .microseconds(250)), ("0.5s", .milliseconds(500)), ("22s", .seconds(22)), ("8.941621227s", .nanoseconds(8_941_621_227)),
    ])
    func goAndProtobufDurations(_ text: String, _ expected: Duration) {
        #expect(RetryAfter.parseGoDuration(text) == expected)
    }

    @Test func invalidDurations() {
        for text in ["", "s", "5", "5 s", "1d", "abc"] {
            #expect(RetryAfter.parseGoDuration(text) == nil, "\(text)")
        }
    }

    @Test func capAtOneDay() {
        #expect(RetryAfter.parseRetryAfter("9999999", now: now) == RetryAfter.maximum)
    }
}
