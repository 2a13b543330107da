/// A plain-text table with columns sized to their content, for CLI listings (`datum list`, `ps`). Cells are
/// escaped for the terminal (`TerminalText.line`): a datum hint cannot clear the screen or add a row.
public struct Table: Sendable {
    public var headers: [String]
    public var rows: [[String]]

    public init(headers: [String], rows: [[String]]) {
        self.headers = headers
        self.rows = rows
    }

    public func render() -> String {
        let headers = self.headers.map(TerminalText.line)
        let rows = self.rows.map { $0.map(TerminalText.line) }
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var out = ""
            for (i, cell) in cells.enumerated() {
                let isLast = i == cells.count - 1
                out += isLast ? cell : cell + String(repeating: " ", count: widths[i] - cell.count + 2)
            }
            return out + "\n"
        }
        return line(headers) + rows.map(line).joined()
    }
}
