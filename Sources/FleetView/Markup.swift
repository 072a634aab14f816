/// Text made safe for the places FleetView puts names it read off telemetry (workloads, providers,
/// models, dead-letter classes): XML and HTML markup, and the terminal.
///
/// Guarantees: ``escape(_:)`` output can stand in any XML 1.0 or HTML element or quoted attribute
/// (characters XML forbids even as references are replaced by U+FFFD); ``terminal(_:)`` output
/// holds no control character, so a name cannot move the cursor, recolour the screen or reorder
/// text with bidirectional overrides.
package enum Markup {
    /// `text` with `&`, `<`, `>`, `"` and `'` written as references and every character XML 1.0
    /// does not allow (C0 controls but tab, newline and carriage return; U+FFFE, U+FFFF) replaced
    /// by U+FFFD.
    package static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default:
                if isAllowedInXML(scalar) {
                    escaped.unicodeScalars.append(scalar)
                } else {
                    escaped.unicodeScalars.append("\u{FFFD}")
                }
            }
        }
        return escaped
    }

    /// `text` with every control character (C0, DEL, C1) and every bidirectional override or
    /// isolate replaced by `?`, for a terminal.
    package static func terminal(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafeOnTerminal) else { return text }
        var safe = ""
        safe.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            safe.unicodeScalars.append(isUnsafeOnTerminal(scalar) ? "?" : scalar)
        }
        return safe
    }

    /// `text` cut to at most `limit` characters, the last one then `…`.
    package static func cut(_ text: String, to limit: Int) -> String {
        guard limit > 0 else { return "" }
        guard text.count > limit else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }

    private static func isAllowedInXML(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD: true
        case 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    private static func isUnsafeOnTerminal(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
