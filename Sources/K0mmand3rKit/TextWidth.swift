/// Terminal column widths: wide East Asian characters and emoji take two columns, combining marks none.
/// (A pure-Swift `wcwidth`, so the screen model is testable without a terminal.)
public enum TextWidth {
    public static func width(of c: Character) -> Int {
        guard let scalar = c.unicodeScalars.first else { return 0 }
        return width(of: scalar)
    }

    public static func width(of s: Unicode.Scalar) -> Int {
        let v = s.value
        if v == 0 { return 0 }
        if v < 32 || (v >= 0x7f && v < 0xa0) { return 0 }
        if s.properties.generalCategory == .nonspacingMark || s.properties.generalCategory == .enclosingMark { return 0 }
        if v == 0x200B || (0xFE00...0xFE0F).contains(v) { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0x33FF).contains(v)
            || (0x3400...0x4DBF).contains(v) || (0x4E00...0x9FFF).contains(v) || (0xA000...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1F64F).contains(v)
            || (0x1F900...0x1F9FF).contains(v) || (0x1F680...0x1F6FF).contains(v) || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }

    public static func width(of text: some StringProtocol) -> Int { text.reduce(0) { $0 + width(of: $1) } }

    /// The longest prefix that fits in `columns`, padded with spaces to exactly `columns` when `pad`.
    public static func fit(_ text: some StringProtocol, columns: Int, pad: Bool = true) -> String {
        guard columns > 0 else { return "" }
        var out = ""
        var used = 0
        for c in text {
            let w = width(of: c)
            if used + w > columns { break }
            out.append(c)
            used += w
        }
        if pad && used < columns { out += String(repeating: " ", count: columns - used) }
        return out
    }

    /// Splits text into lines of at most `columns` columns (for the stream pane).
    public static func wrap(_ text: String, columns: Int) -> [String] {
        guard columns > 0 else { return [text] }
        var lines: [String] = []
        var current = ""
        var used = 0
        for c in text {
            let w = width(of: c)
            if used + w > columns {
                lines.append(current)
                current = ""
                used = 0
            }
            current.append(c)
            used += w
        }
        lines.append(current)
        return lines
    }
}
