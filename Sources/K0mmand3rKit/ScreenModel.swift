import B00tCore
import Foundation

/// The whole screen as rows of spans, each row exactly `columns` wide: what the curses layer draws.
public struct Frame: Equatable, Sendable {
    public var columns: Int
    public var rows: [[StyledText]]
    public var cursorRow: Int
    public var cursorColumn: Int

    /// Plain text of a row (tests and `capture` read this).
    public func text(_ row: Int) -> String { rows[row].map(\.text).joined() }
    public var lines: [String] { rows.indices.map(text) }

    /// Rows that differ from `previous` (all of them when the size changed): only these are redrawn.
    public func changedRows(since previous: Frame?) -> [Int] {
        guard let previous, previous.columns == columns, previous.rows.count == rows.count else { return Array(rows.indices) }
        return rows.indices.filter { rows[$0] != previous.rows[$0] }
    }
}

public enum Pane: String, CaseIterable, Sendable {
    case services, agents, stream
}

/// Everything the screen shows, gathered by the app; `ScreenModel.render` turns it into a `Frame`.
public struct ScreenState: Sendable {
    public var columns: Int
    public var rows: Int
    public var services: [ServiceStatus] = []
    public var agents: [BusAgent] = []
    /// Agents with a live connection (● in the agents pane, listed first).
    public var online: Set<String> = []
    public var stream: Scrollback
    public var busLabel = "memory"
    public var agent = "human"
    public var crew: String? = nil
    public var openAhoys = 0
    public var theme = "default"
    public var recording = false
    /// A command running in the background: spinner, elapsed time, how to cancel (first in the status bar).
    public var activity: String? = nil
    /// The bus connection when it is not simply up ("reconnecting (3)…").
    public var connection: String? = nil
    public var input = LineEditor()
    public var prompt = "› "
    /// One line under the panes for the last error or completion list.
    public var notice: StyledText? = nil
    public var collapsed: Set<Pane> = []
    public var now = Date()

    public init(columns: Int, rows: Int, stream: Scrollback = Scrollback()) {
        self.columns = columns
        self.rows = rows
        self.stream = stream
    }

    /// The stream pane's text height for this layout (PgUp/PgDn scroll by it).
    public var streamHeight: Int { ScreenModel.layout(self).stream.map { $0.height - 2 } ?? 1 }
}

/// Computes the screen from state: pure and cheap (only visible scrollback lines are touched).
public enum ScreenModel {
    public struct Box: Equatable, Sendable {
        public var top: Int, left: Int, width: Int, height: Int
    }

    public struct Layout: Equatable, Sendable {
        public var services: Box?
        public var agents: Box?
        public var stream: Box?
        /// Rows showing a collapsed pane's one-line title.
        public var collapsedRows: [(pane: Pane, row: Int)]
        public var noticeRow: Int?
        public var statusRow: Int
        public var inputRow: Int
        public var wide: Bool

        public static func == (a: Layout, b: Layout) -> Bool {
            a.services == b.services && a.agents == b.agents && a.stream == b.stream && a.statusRow == b.statusRow
                && a.inputRow == b.inputRow && a.wide == b.wide && a.noticeRow == b.noticeRow
                && a.collapsedRows.map { "\($0.pane)\($0.row)" } == b.collapsedRows.map { "\($0.pane)\($0.row)" }
        }
    }

    /// Wide (≥ 80 columns): services and agents side by side above the stream. Narrow: stacked.
    public static func layout(_ s: ScreenState) -> Layout {
        let wide = s.columns >= 80
        let inputRow = max(0, s.rows - 1)
        let statusRow = max(0, s.rows - 2)
        let noticeRow: Int? = s.notice != nil && s.rows >= 8 ? statusRow - 1 : nil
        let bottom = noticeRow ?? statusRow  // first row below the panes
        var layout = Layout(services: nil, agents: nil, stream: nil, collapsedRows: [], noticeRow: noticeRow,
                            statusRow: statusRow, inputRow: inputRow, wide: wide)
        var top = 0
        let available = bottom
        guard available >= 3 else { return layout }
        let showServices = !s.collapsed.contains(.services) && available >= 10
        let showAgents = !s.collapsed.contains(.agents) && available >= 10
        for pane in [Pane.services, .agents] where s.collapsed.contains(pane) && available >= 6 {
            layout.collapsedRows.append((pane, top))
            top += 1
        }
        if wide && (showServices || showAgents) {
            let needed = max(showServices ? s.services.count : 0, showAgents ? s.agents.count : 0) + 2
            let height = min(max(needed, 4), max(4, (available - top) / 3))
            if showServices && showAgents {
                let servicesWidth = s.columns * 3 / 5
                layout.services = Box(top: top, left: 0, width: servicesWidth, height: height)
                layout.agents = Box(top: top, left: servicesWidth, width: s.columns - servicesWidth, height: height)
            } else if showServices {
                layout.services = Box(top: top, left: 0, width: s.columns, height: height)
            } else {
                layout.agents = Box(top: top, left: 0, width: s.columns, height: height)
            }
            top += height
        } else {
            if showServices {
                let height = min(max(s.services.count + 2, 3), max(3, (available - top) / 4))
                layout.services = Box(top: top, left: 0, width: s.columns, height: height)
                top += height
            }
            if showAgents {
                let height = min(max(s.agents.count + 2, 3), max(3, (available - top) / 4))
                layout.agents = Box(top: top, left: 0, width: s.columns, height: height)
                top += height
            }
        }
        if bottom - top >= 3 && !s.collapsed.contains(.stream) {
            layout.stream = Box(top: top, left: 0, width: s.columns, height: bottom - top)
        }
        return layout
    }

    public static func render(_ s: ScreenState) -> Frame {
        let cols = max(1, s.columns)
        var grid = Canvas(columns: cols, rows: max(1, s.rows))
        let layout = layout(s)
        for (pane, row) in layout.collapsedRows {
            let count = pane == .services ? s.services.count : s.agents.count
            grid.put(row: row, column: 0, width: cols, StyledText("▸ \(pane.rawValue) (\(count)) — /pane \(pane.rawValue) to show", role: "dim"))
        }
        if let box = layout.services { drawServices(s, box, &grid) }
        if let box = layout.agents { drawAgents(s, box, &grid) }
        if let box = layout.stream { drawStream(s, box, &grid) }
        if let row = layout.noticeRow, let notice = s.notice {
            grid.put(row: row, column: 0, width: cols, StyledText(notice.text, role: notice.role))
        }
        drawStatus(s, row: layout.statusRow, &grid)
        let (inputText, cursorColumn) = inputLine(s, columns: cols)
        if s.rows >= 1 {
            grid.put(row: layout.inputRow, column: 0, width: cols, StyledText(inputText, role: "input"))
        }
        return Frame(columns: cols, rows: grid.rows, cursorRow: layout.inputRow, cursorColumn: min(cursorColumn, cols - 1))
    }

    static func drawBox(_ box: Box, title: String, footer: String? = nil, _ grid: inout Canvas) {
        guard box.width >= 4, box.height >= 2 else { return }
        let inner = box.width - 2
        let label = TextWidth.fit(" \(title) ", columns: max(0, inner - 1), pad: false)
        let topLine = "┌─" + label + String(repeating: "─", count: max(0, inner - 1 - TextWidth.width(of: label))) + "┐"
        grid.put(row: box.top, column: box.left, width: box.width, StyledText(topLine, role: "border"))
        grid.put(row: box.top, column: box.left + 2, width: TextWidth.width(of: label), StyledText(label, role: "title"))
        for r in 1..<(box.height - 1) {
            grid.put(row: box.top + r, column: box.left, width: 1, StyledText("│", role: "border"))
            grid.put(row: box.top + r, column: box.left + box.width - 1, width: 1, StyledText("│", role: "border"))
        }
        var bottomLine = "└" + String(repeating: "─", count: inner) + "┘"
        if let footer {
            let tag = TextWidth.fit(" \(footer) ", columns: max(0, inner - 2), pad: false)
            let dashes = max(0, inner - 1 - TextWidth.width(of: tag))
            bottomLine = "└" + String(repeating: "─", count: dashes) + tag + "─┘"
            grid.put(row: box.top + box.height - 1, column: box.left, width: box.width, StyledText(bottomLine, role: "border"))
            grid.put(row: box.top + box.height - 1, column: box.left + 1 + dashes, width: TextWidth.width(of: tag), StyledText(tag, role: "warn"))
            return
        }
        grid.put(row: box.top + box.height - 1, column: box.left, width: box.width, StyledText(bottomLine, role: "border"))
    }

    static func stateRole(_ status: ServiceStatus) -> String {
        switch status.state {
        case .running: return status.health == "unhealthy" ? "warn" : "ok"
        case .crashed: return "error"
        case .stopped: return "dim"
        case .unknown, .leaderExited: return "warn"
        }
    }

    static func drawServices(_ s: ScreenState, _ box: Box, _ grid: inout Canvas) {
        drawBox(box, title: "services", _: &grid)
        let inner = box.width - 4
        let rows = box.height - 2
        if s.services.isEmpty, rows > 0 {
            grid.put(row: box.top + 1, column: box.left + 2, width: inner, StyledText("none yet — /up NAME starts one", role: "dim"))
        }
        for (i, status) in s.services.prefix(rows).enumerated() {
            let glyph = status.state == .running ? "●" : (status.state == .crashed ? "✖" : "○")
            let uptime = status.uptime(now: s.now).map(formatUptime) ?? "-"
            let detail = "\(pad(status.id, 16)) \(pad(status.runtime, 7)) \(pad(status.state.rawValue, 7)) \(pad(status.health ?? "-", 9)) \(pad(status.ports.isEmpty ? "-" : status.ports, 5)) \(uptime)"
            grid.put(row: box.top + 1 + i, column: box.left + 2, width: 2, StyledText(glyph + " ", role: stateRole(status)))
            grid.put(row: box.top + 1 + i, column: box.left + 4, width: max(0, inner - 2), StyledText(detail))
        }
    }

    static func drawAgents(_ s: ScreenState, _ box: Box, _ grid: inout Canvas) {
        let onlineCount = s.agents.filter { s.online.contains($0.id) }.count
        drawBox(box, title: "agents \(onlineCount)/\(s.agents.count) online", _: &grid)
        let inner = box.width - 4
        let rows = box.height - 2
        if s.agents.isEmpty, rows > 0 {
            grid.put(row: box.top + 1, column: box.left + 2, width: inner, StyledText("nobody yet — /as NAME", role: "dim"))
        }
        let ordered = AgentOrder.sorted(s.agents, online: s.online)
        let overflow = ordered.count > rows
        let shown = overflow ? max(0, rows - 1) : ordered.count
        for (i, agent) in ordered.prefix(shown).enumerated() {
            let isOnline = s.online.contains(agent.id)
            let row = box.top + 1 + i
            grid.put(row: row, column: box.left + 2, width: 2, StyledText(isOnline ? "● " : "○ ", role: isOnline ? "ok" : "dim"))
            let text = agentLine(agent, width: max(0, inner - 2))
            let role = agent.id == s.agent ? "title" : (isOnline ? "text" : "dim")
            grid.put(row: row, column: box.left + 4, width: max(0, inner - 2), StyledText(text, role: role))
        }
        if overflow, rows > 0 {
            let hidden = ordered.count - shown
            let hiddenOnline = ordered.dropFirst(shown).filter { s.online.contains($0.id) }.count
            grid.put(row: box.top + rows, column: box.left + 2, width: inner,
                     StyledText("+\(hidden) more" + (hiddenOnline > 0 ? " (\(hiddenOnline) online)" : "") + " — /agents lists all", role: "dim"))
        }
    }

    /// `alpha      specialist rust ████░ 0.90 swift ███░░ 0.80`, with as many skills (and as wide bars) as fit.
    static func agentLine(_ agent: BusAgent, width: Int) -> String {
        let idWidth = min(max(TextWidth.width(of: agent.id), 6), 14)
        var text = pad(agent.id, idWidth)
        let roleWidth = min(max(TextWidth.width(of: agent.role), 5), 10)
        guard width > idWidth + 1 + roleWidth else { return text }
        text += " " + pad(agent.role, roleWidth)
        var used = idWidth + 1 + roleWidth
        let skills = agent.skills.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        for (skill, level) in skills {
            let name = TextWidth.fit(skill, columns: 12, pad: false)
            let number = String(format: "%.2f", level)
            // Wide bars when there is room, narrow ones otherwise, the number alone as the last resort.
            var piece = ""
            for bar in [5, 3] {
                let candidate = " \(name) \(Session.bar(level, width: bar)) \(number)"
                if used + TextWidth.width(of: candidate) <= width { piece = candidate; break }
            }
            if piece.isEmpty {
                let candidate = " \(name) \(number)"
                guard used + TextWidth.width(of: candidate) <= width else { break }
                piece = candidate
            }
            text += piece
            used += TextWidth.width(of: piece)
        }
        return text
    }

    static func drawStream(_ s: ScreenState, _ box: Box, _ grid: inout Canvas) {
        let footer = s.stream.newBelow > 0 ? "\(s.stream.newBelow) new below ▾ End" : (s.stream.offset > 0 ? "scrolled ↑\(s.stream.offset)" : nil)
        drawBox(box, title: "crew stream" + (s.crew.map { " @\($0)" } ?? ""), footer: footer, &grid)
        let inner = box.width - 4
        let height = box.height - 2
        let lines = s.stream.visible(height: height)
        let first = height - lines.count
        for (i, line) in lines.enumerated() {
            let indent = String(repeating: " ", count: min(line.indent, 8))
            grid.put(row: box.top + 1 + first + i, column: box.left + 2, width: inner, StyledText(indent + line.text, role: line.role))
        }
    }

    /// The status bar: fields by priority — what is running, the connection, who you are, the crew — and the
    /// rest only while they fit the width.
    static func drawStatus(_ s: ScreenState, row: Int, _ grid: inout Canvas) {
        var fields: [(text: String, role: String)] = []
        if let activity = s.activity { fields.append((activity, "warn")) }
        fields.append((s.connection.map { "\(s.busLabel) \($0)" } ?? s.busLabel, s.connection == nil ? "status" : "error"))
        fields.append(("as \(s.agent)", "status"))
        fields.append(("crew \(s.crew ?? "-")", "status"))
        if s.recording { fields.append(("● rec", "status")) }
        fields.append(("ahoys \(s.openAhoys)", "status"))
        fields.append(("theme \(s.theme)", "status"))
        var column = 0
        let separator = " │ "
        for (index, field) in fields.enumerated() {
            let text = (index == 0 ? " " : separator) + field.text
            let w = TextWidth.width(of: text)
            // The first two fields always show (clipped if they must); later ones only when whole.
            if index >= 2 && column + w > s.columns { break }
            grid.put(row: row, column: column, width: min(w, max(0, s.columns - column)), StyledText(text, role: field.role))
            column += w
            if column >= s.columns { break }
        }
        if column < s.columns { grid.put(row: row, column: column, width: s.columns - column, StyledText("", role: "status")) }
    }

    /// The input line, scrolled horizontally so the cursor is always visible.
    static func inputLine(_ s: ScreenState, columns: Int) -> (String, Int) {
        let prompt = s.input.search.map { "(search '\($0)') " } ?? s.prompt
        let promptWidth = TextWidth.width(of: prompt)
        let room = max(1, columns - promptWidth - 1)
        let chars = s.input.text
        var start = 0
        var beforeCursor = TextWidth.width(of: String(chars[0..<s.input.cursor]))
        while beforeCursor > room && start < s.input.cursor {
            beforeCursor -= TextWidth.width(of: chars[start])
            start += 1
        }
        let visible = String(chars[start...])
        return (prompt + visible, promptWidth + beforeCursor)
    }

    static func pad(_ text: String, _ width: Int) -> String { TextWidth.fit(text, columns: max(width, 1)) }
}

/// A grid of cells built row by row; wide characters occupy two columns.
struct Canvas {
    let columns: Int
    private(set) var cells: [[(Character, String)]]

    init(columns: Int, rows: Int) {
        self.columns = columns
        cells = Array(repeating: Array(repeating: (" ", "text"), count: columns), count: rows)
    }

    /// Writes `span` at (row, column), clipped to `width` columns (and the screen). Whatever it holds — an
    /// agent's role, a chat line, a datum's hint — control characters and bidi overrides are shown escaped
    /// (`\e`, `\u{202E}`), never sent to the terminal.
    mutating func put(row: Int, column: Int, width: Int, _ span: StyledText) {
        guard row >= 0, row < cells.count, column < columns else { return }
        var col = max(0, column)
        let limit = min(columns, column + width)
        for c in TerminalText.line(span.text) {
            let w = TextWidth.width(of: c)
            if w == 0 { continue }
            if col + w > limit { break }
            cells[row][col] = (c, span.role)
            if w == 2 { cells[row][col + 1] = ("\u{0}", span.role) }  // placeholder: the wide char covers it
            col += w
        }
        // Pad the rest of the requested width in this role (so backgrounds fill).
        while col < limit {
            cells[row][col] = (" ", span.role)
            col += 1
        }
    }

    /// Rows as spans: consecutive cells of one role merged; wide-char placeholders dropped.
    var rows: [[StyledText]] {
        cells.map { row in
            var spans: [StyledText] = []
            var text = ""
            var role = row.first?.1 ?? "text"
            for (c, r) in row {
                if r != role {
                    spans.append(StyledText(text, role: role))
                    text = ""
                    role = r
                }
                if c != "\u{0}" { text.append(c) }
            }
            spans.append(StyledText(text, role: role))
            return spans
        }
    }
}
