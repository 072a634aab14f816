import Foundation
import NIOHTTP1

/// Parsers for every way a provider says "wait this long": `retry-after` (delta seconds or an
/// HTTP date), `retry-after-ms`, RFC 3339 reset instants (`anthropic-ratelimit-*-reset`), Go-style
/// durations (`x-ratelimit-reset-*`: `1s`, `6m0s`, `12ms`) and protobuf durations (`22s`, `8.9s`).
///
/// Guarantees: pure functions of their input and `now`; a value that is malformed, negative or in
/// the past gives `nil` or zero, never a crash; results are capped at one day.
package enum RetryAfter {
    /// The longest wait any parser returns.
    package static let maximum: Duration = .seconds(86_400)

    /// `retry-after`: delta seconds (`"30"`, `"1.5"`) or an HTTP date (IMF-fixdate, RFC 850 or asctime).
    package static func parseRetryAfter(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) {
            return clamp(seconds: seconds)
        }
        guard let date = parseHTTPDate(trimmed) else { return nil }
        return clamp(seconds: date.timeIntervalSince(now))
    }

    /// `retry-after-ms`: milliseconds.
    package static func parseMilliseconds(_ value: String) -> Duration? {
        guard let ms = Double(value.trimmingCharacters(in: .whitespaces)) else { return nil }
        return clamp(seconds: ms / 1000)
    }

    /// An RFC 3339 instant (`2025-06-01T12:00:30Z`, with or without fractions, any offset): the
    /// wait from `now` until then.
    package static func parseRFC3339(_ value: String, now: Date) -> Duration? {
        guard let date = parseRFC3339Date(value.trimmingCharacters(in: .whitespaces)) else { return nil }
        return clamp(seconds: date.timeIntervalSince(now))
    }

    /// A Go `time.Duration` string (`1s`, `6m0s`, `12ms`, `1h2m3.5s`, `250us`) or a protobuf
    /// duration (`22s`, `8.941621227s`).
    package static func parseGoDuration(_ value: String) -> Duration? {
        var text = Substring(value.trimmingCharacters(in: .whitespaces))
        guard !text.isEmpty else { return nil }
        var total = 0.0
        while !text.isEmpty {
            let numberEnd = text.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? text.endIndex
            guard numberEnd != text.startIndex, let number = Double(text[text.startIndex..<numberEnd]) else { return nil }
            text = text[numberEnd...]
            let unitEnd = text.firstIndex { $0.isASCII && ($0.isNumber || $0 == ".") } ?? text.endIndex
            let unit = text[text.startIndex..<unitEnd]
            text = text[unitEnd...]
            let scale: Double
            switch unit {
            case "h": scale = 3600
            case "m": scale = 60
            case "s": scale = 1
            case "ms": scale = 1e-3
            case "us", "µs", "μs": scale = 1e-6
            case "ns": scale = 1e-9
            default: return nil
            }
            total += number * scale
        }
        return clamp(seconds: total)
    }

    /// The first of `headers` names that parses, by `retry-after-ms` then `retry-after`.
    package static func fromStandardHeaders(_ headers: HTTPHeaders, now: Date) -> Duration? {
        if let ms = headers.first(name: "retry-after-ms"), let value = parseMilliseconds(ms) { return value }
        if let value = headers.first(name: "retry-after"), let parsed = parseRetryAfter(value, now: now) { return parsed }
        return nil
    }

    /// From rate-limit header pairs (`remaining`, `reset`): the reset of an exhausted limit
    /// (remaining 0), else the earliest reset given; `nil` when none parses.
    static func fromResetHeaders(
        _ headers: HTTPHeaders,
        pairs: [(remaining: String, reset: String)],
        parse: (String) -> Duration?
    ) -> Duration? {
        var exhausted: [Duration] = []
        var all: [Duration] = []
        for pair in pairs {
            guard let raw = headers.first(name: pair.reset), let value = parse(raw) else { continue }
            all.append(value)
            if headers.first(name: pair.remaining)?.trimmingCharacters(in: .whitespaces) == "0" {
                exhausted.append(value)
            }
        }
        return exhausted.max() ?? all.min()
    }

    static func clamp(seconds: Double) -> Duration? {
        guard seconds.isFinite else { return nil }
        if seconds <= 0 { return .zero }
        if seconds >= 86_400 { return maximum }
        return .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    // MARK: Dates

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// Parses `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT` and
    /// `Sun Nov  6 08:49:37 1994`.
    static func parseHTTPDate(_ text: String) -> Date? {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        var day: Int?
        var month: Int?
        var year: Int?
        var time: [Int]?
        if parts.count == 6, parts[5].uppercased() == "GMT" {
            day = Int(parts[1])
            month = monthIndex(parts[2])
            year = Int(parts[3])
            time = clock(parts[4])
        } else if parts.count == 4, parts[3].uppercased() == "GMT" {
            let dmy = parts[1].split(separator: "-").map(String.init)
            guard dmy.count == 3, let y = Int(dmy[2]) else { return nil }
            day = Int(dmy[0])
            month = monthIndex(dmy[1])
            year = y < 100 ? (y < 70 ? 2000 + y : 1900 + y) : y
            time = clock(parts[2])
        } else if parts.count == 5 {
            month = monthIndex(parts[1])
            day = Int(parts[2])
            time = clock(parts[3])
            year = Int(parts[4])
        }
        guard let day, let month, let year, let time, time.count == 3 else { return nil }
        return utcDate(year: year, month: month, day: day, hour: time[0], minute: time[1], second: Double(time[2]), offsetSeconds: 0)
    }

    /// Parses RFC 3339 date-times: `2025-01-01T00:00:05Z`, `...05.123Z`, `...05+02:00`.
    static func parseRFC3339Date(_ text: String) -> Date? {
        let chars = Array(text.utf8)
        guard chars.count >= 20 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count else { return nil }
            var value = 0
            for c in chars[range] {
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard let year = number(0..<4), chars[4] == UInt8(ascii: "-"), let month = number(5..<7), chars[7] == UInt8(ascii: "-"),
            let day = number(8..<10), chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: "t") || chars[10] == UInt8(ascii: " "),
            let hour = number(11..<13), chars[13] == UInt8(ascii: ":"), let minute = number(14..<16), chars[16] == UInt8(ascii: ":"),
            let whole = number(17..<19)
        else { return nil }
        var index = 19
        var second = Double(whole)
        if index < chars.count, chars[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < chars.count, chars[index] >= 48, chars[index] <= 57 {
                second += Double(chars[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        guard index < chars.count else { return nil }
        var offset = 0
        switch chars[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == chars.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == chars.count, let oh = number(index + 1..<index + 3), let om = number(index + 4..<index + 6) else { return nil }
            offset = (oh * 3600 + om * 60) * (chars[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        return utcDate(year: year, month: month, day: day, hour: hour, minute: minute, second: second, offsetSeconds: offset)
    }

    private static func monthIndex(_ name: String) -> Int? {
        months.firstIndex(of: name.lowercased()).map { $0 + 1 }
    }

    private static func clock(_ text: String) -> [Int]? {
        let values = text.split(separator: ":").compactMap { Int($0) }
        return values.count == 3 ? values : nil
    }

    /// Days-from-civil (proleptic Gregorian), so no Calendar or DateFormatter is needed.
    private static func utcDate(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Double, offsetSeconds: Int) -> Date? {
        // The year bound keeps the day arithmetic below from overflowing on a header such as
        // `Sun, 06 Nov 99999999999999999 08:49:37 GMT`.
        guard (0...9999).contains(year), (1...12).contains(month), (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute),
            second < 61
        else { return nil }
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        let seconds = Double(days * 86_400 + hour * 3600 + minute * 60 - offsetSeconds) + second
        return Date(timeIntervalSince1970: seconds)
    }
}
