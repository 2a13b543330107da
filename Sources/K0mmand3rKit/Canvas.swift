import B00tCore

/// A grid of terminal cells built row by row. A cell holds a whole grapheme cluster (or several code points
/// the terminal draws together); a wide one covers the next column too.
struct Canvas {
    let columns: Int
    private(set) var cells: [[Cell]]

    struct Cell: Equatable {
        /// What is drawn; empty for the column a wide cell on its left covers.
        var text: String
        var role: String
        var width: Int
        static func blank(_ role: String) -> Cell { Cell(text: " ", role: role, width: 1) }
        var isCovered: Bool { width == 0 }
    }

    init(columns: Int, rows: Int) {
        self.columns = columns
        cells = Array(repeating: Array(repeating: .blank("text"), count: columns), count: rows)
    }

    /// Writes `span` at (row, column), clipped to `width` columns (and the screen). Whatever it holds — an
    /// agent's role, a chat line, a datum's hint — control characters and bidi overrides are shown escaped
    /// (`\e`, `\u{202E}`), never sent to the terminal. A cluster that does not fit whole is not drawn.
    mutating func put(row: Int, column: Int, width: Int, _ span: StyledText) {
        guard row >= 0, row < cells.count, column < columns else { return }
        var col = max(0, column)
        let limit = min(columns, column + width)
        let text = TerminalText.line(span.text)
        if TextWidth.isPlainASCII(text) {
            for c in text {
                guard col < limit else { break }
                set(row, col, Cell(text: String(c), role: span.role, width: 1))
                col += 1
            }
        } else {
            var meter = TextWidth.Meter()
            var last: Int? = nil
            for c in text {
                let w = meter.width(of: c)
                if w == 0 {
                    // Drawn with the cell before it (a combining mark, a ZWJ's wide partner).
                    if let last { cells[row][last].text.append(c) }
                    continue
                }
                if col + w > limit { break }
                set(row, col, Cell(text: String(c), role: span.role, width: w))
                last = col
                col += w
            }
        }
        // Pad the rest of the requested width in this role (so backgrounds fill).
        while col < limit {
            set(row, col, .blank(span.role))
            col += 1
        }
    }

    /// Puts a cell (and the columns a wide one covers), first mending any wide cell it cuts in half: what is
    /// left of that one becomes blanks, so every row stays exactly `columns` wide.
    private mutating func set(_ row: Int, _ col: Int, _ cell: Cell) {
        let end = min(columns, col + max(1, cell.width))
        if cells[row][col].isCovered {
            var owner = col - 1
            while owner > 0 && cells[row][owner].isCovered { owner -= 1 }
            for c in owner..<col { cells[row][c] = .blank(cells[row][c].role) }
        }
        for c in col..<end where cells[row][c].width > 1 {
            for k in (c + 1)..<min(columns, c + cells[row][c].width) where k >= end { cells[row][k] = .blank(cells[row][k].role) }
        }
        cells[row][col] = cell
        for c in (col + 1)..<end { cells[row][c] = Cell(text: "", role: cell.role, width: 0) }
    }

    /// Rows as spans: consecutive cells of one role merged; covered columns dropped.
    var rows: [[StyledText]] {
        cells.map { row in
            var spans: [StyledText] = []
            var text = ""
            var role = row.first?.role ?? "text"
            for cell in row {
                if cell.role != role {
                    spans.append(StyledText(text, role: role))
                    text = ""
                    role = cell.role
                }
                text += cell.text
            }
            spans.append(StyledText(text, role: role))
            return spans
        }
    }
}
