/// Numbers and times as FleetView writes them for people and for SVG coordinates: fixed
/// decimals with a dot whatever the locale, percentages, and UTC clock times of minutes.
///
/// Guarantees: never traps; a non-finite number is written `n/a`; a number too large for fixed
/// decimals is written in Swift's shortest form.
package enum NumberText {
    /// `value` with exactly `decimals` digits after the dot (0 to 9; 0 writes no dot).
    package static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "n/a" }
        let places = min(max(decimals, 0), 9)
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        guard let scaled = SafeNumber.floor((abs(value) * scale).rounded()), scaled < 1_000_000_000_000_000 else { return value.description }
        var digits = String(scaled)
        if places > 0 {
            if digits.count <= places { digits = String(repeating: "0", count: places - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -places))
        }
        return value < 0 && scaled != 0 ? "-" + digits : digits
    }

    /// `share` (0...1) as a percentage with one decimal (`94.3%`), `-` for `nil`.
    package static func percent(_ share: Double?) -> String {
        guard let share else { return "-" }
        return fixed(share * 100, decimals: 1) + "%"
    }

    /// A whole number of milliseconds, `-` for `nil`.
    package static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        return fixed(value, decimals: 0)
    }

    /// `HH:MM` (UTC) of the start of `minute` (minutes since 1970).
    package static func clock(minute: Int) -> String {
        let ofDay = FleetWindow.slot(minute, of: 1_440)
        let hours = ofDay / 60
        let minutes = ofDay % 60
        return (hours < 10 ? "0" : "") + String(hours) + ":" + (minutes < 10 ? "0" : "") + String(minutes)
    }
}
