/// Terminal column widths, as the terminal lays text out — so a frame drawn from the model never loses its
/// right border to an emoji.
///
/// Terminals do not measure grapheme clusters the way Unicode groups them; they measure code points with
/// `wcwidth` and glue some onto the cell before. This follows glibc's `wcwidth` (`TextWidthTable`), which is
/// what ncursesw and tmux 3.3a use, and tmux 3.3a's rules for gluing, checked against tmux's own layout
/// (`TextWidthTmuxTests`):
///
/// - a zero-width code point (combining mark, variation selector, ZWJ) joins the cell before it: `é`, `❤️` = 1;
/// - a wide code point right after a ZWJ joins it too, so a ZWJ sequence is as wide as its first emoji:
///   `👩‍💻` = 2, `🏳️‍🌈` = 1 — but a narrow one after a ZWJ starts a cell of its own (`a‍b` = 2);
/// - everything else starts a cell: an emoji with a skin-tone modifier is two wide cells (`👍🏽` = 4), a flag two
///   narrow regional indicators (`🇯🇵` = 2);
/// - a code point the C library cannot print (newer than its Unicode tables, like `🫨`) is drawn as `�` (1),
///   since terminals disagree about it.
///
/// `cells(of:)` is the same split for the curses layer, which writes each cell whole (`wadd_wch` with the
/// joined code points), so curses and the terminal agree on every column too.
public enum TextWidth {
    /// A terminal cell: the code points drawn in it (at most `maximumScalarsPerCell`, as curses keeps) and how
    /// many columns it covers (1 or 2).
    public struct Cell: Equatable, Sendable {
        public var text: String
        public var width: Int
    }

    /// curses' `CCHARW_MAX`: code points a cell holds; more joined ones are dropped (the first are drawn).
    public static let maximumScalarsPerCell = 5

    /// Measures a run of text cluster by cluster, carrying what the terminal carries between them (a ZWJ at
    /// the end of one cluster glues a wide emoji at the start of the next).
    public struct Meter: Sendable {
        var afterJoiner = false
        var hasCell = false
        public init() {}

        public mutating func width(of c: Character) -> Int {
            if let ascii = c.asciiValue, ascii >= 0x20, ascii < 0x7F {
                afterJoiner = false
                hasCell = true
                return 1
            }
            var total = 0
            for scalar in c.unicodeScalars { total += width(of: scalar) }
            return total
        }

        /// Columns a code point adds to the row.
        public mutating func width(of scalar: Unicode.Scalar) -> Int {
            let joinerBefore = afterJoiner
            afterJoiner = scalar.value == 0x200D
            let w = TextWidth.columns(of: scalar)
            if w == 0 || (w == 2 && joinerBefore && hasCell) { return 0 }
            hasCell = true
            return w
        }
    }

    /// The width glibc gives a code point: 0, 1 or 2; -1 for one it cannot print (shown as `�`, 1 column).
    public static func wcwidth(_ s: Unicode.Scalar) -> Int {
        let v = s.value
        if v < 0xA0 { return v < 0x20 || v >= 0x7F ? 0 : 1 }
        if contains(TextWidthTable.zero, v) { return 0 }
        if contains(TextWidthTable.wide, v) { return 2 }
        if contains(TextWidthTable.unprintable, v) { return -1 }
        return 1
    }

    /// The width a code point takes on its own (an unprintable one is drawn as `�`).
    static func columns(of s: Unicode.Scalar) -> Int {
        let w = wcwidth(s)
        return w < 0 ? 1 : w
    }

    public static func width(of s: Unicode.Scalar) -> Int { columns(of: s) }

    /// A cluster's width on its own (nothing before it).
    public static func width(of c: Character) -> Int {
        var meter = Meter()
        return meter.width(of: c)
    }

    public static func width(of text: some StringProtocol) -> Int {
        var meter = Meter()
        var total = 0
        for c in text { total += meter.width(of: c) }
        return total
    }

    /// True when every character is printable ASCII: one column each, one cell each (the common fast path).
    public static func isPlainASCII(_ text: some StringProtocol) -> Bool {
        text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }

    /// The cells the terminal makes of `text` (see the type's rules); zero-width code points with no cell
    /// before them are dropped, unprintable ones become `�`.
    public static func cells(of text: some StringProtocol) -> [Cell] {
        var cells: [Cell] = []
        var scalarsInLast = 0
        var joinerBefore = false
        for scalar in text.unicodeScalars {
            let raw = wcwidth(scalar)
            let joins = raw == 0 || (raw == 2 && joinerBefore)
            joinerBefore = scalar.value == 0x200D
            if joins, !cells.isEmpty {
                if scalarsInLast < maximumScalarsPerCell {
                    cells[cells.count - 1].text.unicodeScalars.append(scalar)
                    scalarsInLast += 1
                }
                continue
            }
            if raw == 0 { continue }  // nothing before it to join
            cells.append(Cell(text: raw < 0 ? "\u{FFFD}" : String(scalar), width: raw < 0 ? 1 : raw))
            scalarsInLast = 1
        }
        return cells
    }

    /// The longest prefix that fits in `columns`, padded with spaces to exactly `columns` when `pad`.
    public static func fit(_ text: some StringProtocol, columns: Int, pad: Bool = true) -> String {
        guard columns > 0 else { return "" }
        var out = ""
        var used = 0
        var meter = Meter()
        for c in text {
            let w = meter.width(of: c)
            if used + w > columns { break }
            out.append(c)
            used += w
        }
        if pad && used < columns { out += String(repeating: " ", count: columns - used) }
        return out
    }

    /// Splits text into lines of at most `columns` columns, breaking anywhere (see `StreamLayout` for words).
    public static func wrap(_ text: String, columns: Int) -> [String] {
        guard columns > 0 else { return [text] }
        var lines: [String] = []
        var current = ""
        var used = 0
        var meter = Meter()
        for c in text {
            let w = meter.width(of: c)
            if used + w > columns, !current.isEmpty {
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

    /// Binary search over a flat `[first, last, …]` range table.
    static func contains(_ table: [UInt32], _ value: UInt32) -> Bool {
        var low = 0
        var high = table.count / 2 - 1
        while low <= high {
            let mid = (low + high) / 2
            if value < table[2 * mid] {
                high = mid - 1
            } else if value > table[2 * mid + 1] {
                low = mid + 1
            } else {
                return true
            }
        }
        return false
    }
}
