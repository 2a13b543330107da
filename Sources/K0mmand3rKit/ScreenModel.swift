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

/// A search through the crew stream (`/search TEXT`, ^F): the lines that match and the one shown.
public struct StreamSearch: Sendable, Equatable {
    public var query: String
    /// Matching lines by absolute number, oldest first.
    public var matches: [Int]
    /// Index into `matches` of the one the view shows.
    public var current: Int?
    /// The ^F prompt is open in the input line (typing goes to the query).
    public var typing: Bool
    /// Lines numbered below this were searched already (new lines are searched as they arrive).
    public var searched = 0

    public init(query: String, matches: [Int] = [], current: Int? = nil, typing: Bool = false) {
        self.query = query
        self.matches = matches
        self.current = current
        self.typing = typing
    }

    /// `3/17`, or `no match`.
    public var position: String {
        guard !matches.isEmpty else { return "no match" }
        return "\((current ?? matches.count - 1) + 1)/\(matches.count)"
    }
}

/// Everything the screen shows, gathered by the app; `ScreenModel.render` turns it into a `Frame`.
public struct ScreenState: Sendable {
    public var columns: Int
    public var rows: Int
    public var services: [ServiceStatus] = []
    public var agents: [BusAgent] = []
    /// Agents with a live connection (● in the agents pane, listed first).
    public var online: Set<String> = []
    /// Agents running as services (`/agent start`): marked ⚙ in the agents pane.
    public var managed: Set<String> = []
    public var stream: Scrollback
    public var busLabel = "memory"
    public var agent = "human"
    public var crew: String? = nil
    public var openAhoys = 0
    public var theme = "default"
    public var recording = false
    /// Messages that mentioned you (or were sent to you) since you last sent a line.
    public var mentions = 0
    /// A command running in the background: spinner, elapsed time, how to cancel (first in the status bar).
    public var activity: String? = nil
    /// The bus connection when it is not simply up ("reconnecting (3)…").
    public var connection: String? = nil
    public var input = LineEditor()
    public var prompt = "› "
    /// Under the panes: the last error or the completion list, wrapped on up to three rows.
    public var notice: StyledText? = nil
    public var collapsed: Set<Pane> = []
    public var search: StreamSearch? = nil
    public var now = Date()

    public init(columns: Int, rows: Int, stream: Scrollback = Scrollback()) {
        self.columns = columns
        self.rows = rows
        self.stream = stream
    }

    /// The stream pane's text height for this layout (PgUp/PgDn scroll by it).
    public var streamHeight: Int { ScreenModel.layout(self).stream.map { $0.height - 2 } ?? 1 }
    /// The stream pane's text width (lines wrap to it).
    public var streamWidth: Int { ScreenModel.layout(self).stream.map { max(1, $0.width - 4) } ?? max(1, columns - 4) }
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
        /// Rows for the notice (first row, count).
        public var noticeRows: (first: Int, count: Int)?
        public var statusRow: Int
        /// The input area: one row, more for a pasted multi-line message.
        public var inputRow: Int
        public var inputRows: Int = 1
        public var wide: Bool

        public var noticeRow: Int? { noticeRows?.first }

        public static func == (a: Layout, b: Layout) -> Bool {
            a.services == b.services && a.agents == b.agents && a.stream == b.stream && a.statusRow == b.statusRow
                && a.inputRow == b.inputRow && a.inputRows == b.inputRows && a.wide == b.wide
                && a.noticeRows?.first == b.noticeRows?.first && a.noticeRows?.count == b.noticeRows?.count
                && a.collapsedRows.map { "\($0.pane)\($0.row)" } == b.collapsedRows.map { "\($0.pane)\($0.row)" }
        }
    }

    /// Rows a multi-line input may take: a header and up to seven lines, never more than a quarter of the screen.
    static func inputRows(_ s: ScreenState) -> Int {
        let lines = s.input.lineCount
        guard lines > 1, s.search?.typing != true, s.input.search == nil else { return 1 }
        return max(1, min(lines + 1, 8, s.rows / 4))
    }

    /// The notice wrapped to the width: up to three rows (the last one ends in "…" when cut).
    static func noticeLines(_ s: ScreenState) -> [String] {
        guard let notice = s.notice, s.columns > 0 else { return [] }
        let chars = StreamLayout.shown(notice)
        let rows = StreamLayout.rows(of: chars, indent: 0, hang: 2, width: s.columns)
        var lines = rows.prefix(3).map { String(repeating: " ", count: $0.indent) + String(chars[$0.start..<$0.end]) }
        if rows.count > 3, let last = lines.last {
            lines[lines.count - 1] = TextWidth.fit(last, columns: max(1, s.columns - 1), pad: false) + "…"
        }
        return lines
    }

    /// Wide (≥ 80 columns): services and agents side by side above the stream. Narrow: stacked.
    public static func layout(_ s: ScreenState) -> Layout {
        let wide = s.columns >= 80
        let inputCount = min(inputRows(s), max(1, s.rows - 2))
        let inputRow = max(0, s.rows - inputCount)
        let statusRow = max(0, inputRow - 1)
        let noticeCount = s.rows >= 8 ? min(noticeLines(s).count, max(0, (statusRow - 6) / 2), 3) : 0
        let noticeRows: (first: Int, count: Int)? = noticeCount > 0 ? (statusRow - noticeCount, noticeCount) : nil
        let bottom = noticeRows?.first ?? statusRow  // first row below the panes
        var layout = Layout(services: nil, agents: nil, stream: nil, collapsedRows: [], noticeRows: noticeRows,
                            statusRow: statusRow, inputRow: inputRow, inputRows: inputCount, wide: wide)
        var top = 0
        let available = bottom
        guard available >= 3 else { return layout }
        let showServices = !s.collapsed.contains(.services) && available >= 10
        let showAgents = !s.collapsed.contains(.agents) && available >= 10
        for pane in Pane.allCases where s.collapsed.contains(pane) && available >= 6 {
            if pane == .stream { continue }  // its placeholder goes where the stream was
            layout.collapsedRows.append((pane, top))
            top += 1
        }
        // Services have a header row.
        let servicesNeeded = s.services.count + 3
        if wide && (showServices || showAgents) {
            let needed = max(showServices ? servicesNeeded : 0, showAgents ? s.agents.count + 2 : 0)
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
                let height = min(max(servicesNeeded, 3), max(3, (available - top) / 4))
                layout.services = Box(top: top, left: 0, width: s.columns, height: height)
                top += height
            }
            if showAgents {
                let height = min(max(s.agents.count + 2, 3), max(3, (available - top) / 4))
                layout.agents = Box(top: top, left: 0, width: s.columns, height: height)
                top += height
            }
        }
        if s.collapsed.contains(.stream) {
            if bottom - top >= 1 { layout.collapsedRows.append((.stream, top)) }
        } else if bottom - top >= 3 {
            layout.stream = Box(top: top, left: 0, width: s.columns, height: bottom - top)
        }
        return layout
    }

    public static func render(_ s: ScreenState) -> Frame {
        let cols = max(1, s.columns)
        var grid = Canvas(columns: cols, rows: max(1, s.rows))
        let layout = layout(s)
        for (pane, row) in layout.collapsedRows {
            grid.put(row: row, column: 0, width: cols, StyledText(collapsedTitle(pane, s), role: "dim"))
        }
        if let box = layout.services { drawServices(s, box, &grid) }
        if let box = layout.agents { drawAgents(s, box, &grid) }
        if let box = layout.stream { drawStream(s, box, &grid) }
        if let (first, count) = layout.noticeRows, let notice = s.notice {
            for (i, line) in noticeLines(s).prefix(count).enumerated() {
                grid.put(row: first + i, column: 0, width: cols, StyledText(line, role: notice.role))
            }
        }
        drawStatus(s, row: layout.statusRow, &grid)
        var cursor = (row: layout.inputRow, column: 0)
        if s.rows >= 1 {
            if layout.inputRows > 1 {
                cursor = drawMultilineInput(s, layout, &grid)
            } else {
                let (inputText, cursorColumn) = inputLine(s, columns: cols)
                grid.put(row: layout.inputRow, column: 0, width: cols, StyledText(inputText, role: "input"))
                cursor = (layout.inputRow, cursorColumn)
            }
        }
        return Frame(columns: cols, rows: grid.rows, cursorRow: min(cursor.row, max(0, s.rows - 1)),
                     cursorColumn: min(cursor.column, cols - 1))
    }

    static func collapsedTitle(_ pane: Pane, _ s: ScreenState) -> String {
        let key = ["services": "F1", "agents": "F2", "stream": "F3"][pane.rawValue] ?? ""
        switch pane {
        case .services: return "▸ services (\(s.services.count)) — \(key) or /pane services to show"
        case .agents: return "▸ agents (\(s.agents.count)) — \(key) or /pane agents to show"
        case .stream:
            let waiting = s.stream.newBelow > 0 ? ", \(s.stream.newBelow) new" : ""
            return "▸ crew stream hidden (\(s.stream.count) lines\(waiting)) — \(key) or /pane stream to show"
        }
    }

    static func drawBox(_ box: Box, title: String, footer: String? = nil, footerRole: String = "warn", _ grid: inout Canvas) {
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
            grid.put(row: box.top + box.height - 1, column: box.left + 1 + dashes, width: TextWidth.width(of: tag), StyledText(tag, role: footerRole))
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

    /// A services pane column: its header, width, and whether it still shows when the pane is narrow (lower
    /// `priority` numbers stay longest).
    struct Column {
        var title: String
        var width: Int
        var priority: Int
        var value: (ServiceStatus) -> String
    }

    /// The columns that fit `inner` columns, in display order: NAME STATE PID first, then HEALTH, UPTIME,
    /// PORTS and RUNTIME as room allows.
    static func serviceColumns(_ s: ScreenState, inner: Int) -> [Column] {
        let longest = s.services.map { TextWidth.width(of: $0.id) }.max() ?? 10
        let nameWidth = min(max(longest, 10), 24)
        let now = s.now
        let all = [
            Column(title: "NAME", width: nameWidth, priority: 0, value: { $0.id }),
            Column(title: "RUNTIME", width: 7, priority: 6, value: { $0.runtime }),
            Column(title: "STATE", width: 7, priority: 1, value: { $0.state.rawValue }),
            Column(title: "HEALTH", width: 9, priority: 3, value: { $0.health ?? "-" }),
            Column(title: "PID", width: 7, priority: 2, value: { $0.pid.map(String.init) ?? $0.container.map { String($0.prefix(7)) } ?? "-" }),
            Column(title: "PORTS", width: 6, priority: 5, value: { $0.ports.isEmpty ? "-" : $0.ports }),
            Column(title: "UPTIME", width: 7, priority: 4, value: { $0.uptime(now: now).map(formatUptime) ?? "-" }),
        ]
        var chosen = Set<String>()
        var used = 0
        for column in all.sorted(by: { $0.priority < $1.priority }) {
            let need = column.width + (chosen.isEmpty ? 0 : 1)
            if used + need <= inner || chosen.isEmpty {
                chosen.insert(column.title)
                used += need
            }
        }
        return all.filter { chosen.contains($0.title) }
    }

    static func drawServices(_ s: ScreenState, _ box: Box, _ grid: inout Canvas) {
        drawBox(box, title: "services", _: &grid)
        let inner = box.width - 4
        let rows = box.height - 2
        guard rows > 0, inner > 2 else { return }
        if s.services.isEmpty {
            grid.put(row: box.top + 1, column: box.left + 2, width: inner, StyledText("none yet — /up NAME starts one", role: "dim"))
            return
        }
        let columns = serviceColumns(s, inner: inner - 2)
        func line(_ values: [String]) -> String { zip(columns, values).map { pad($1, $0.width) }.joined(separator: " ") }
        var row = box.top + 1
        if rows >= 2 {
            grid.put(row: row, column: box.left + 4, width: max(0, inner - 2), StyledText(line(columns.map(\.title)), role: "dim"))
            row += 1
        }
        let room = box.top + box.height - 1 - row
        for status in s.services.prefix(room) {
            let glyph = status.state == .running ? "●" : (status.state == .crashed ? "✖" : "○")
            grid.put(row: row, column: box.left + 2, width: 2, StyledText(glyph + " ", role: stateRole(status)))
            grid.put(row: row, column: box.left + 4, width: max(0, inner - 2), StyledText(line(columns.map { $0.value(status) })))
            row += 1
        }
    }

    static func drawAgents(_ s: ScreenState, _ box: Box, _ grid: inout Canvas) {
        let onlineCount = s.agents.filter { s.online.contains($0.id) }.count
        let ordered = AgentOrder.sorted(s.agents, online: s.online)
        let rows = box.height - 2
        let inner = box.width - 4
        let shown = min(ordered.count, max(0, rows))
        // What does not fit is summed up in the bottom border, the longest wording that fits whole.
        var footer: String? = nil
        if shown < ordered.count {
            let hidden = ordered.count - shown
            let hiddenOnline = ordered.dropFirst(shown).filter { s.online.contains($0.id) }.count
            let online = hiddenOnline > 0 ? " (\(hiddenOnline) online)" : ""
            let variants = ["+\(hidden) more\(online) — /agents lists all", "+\(hidden) more — /agents lists all",
                            "+\(hidden) more\(online) — /agents", "+\(hidden) more — /agents", "+\(hidden) more", "+\(hidden)"]
            footer = variants.first { TextWidth.width(of: $0) + 2 <= box.width - 4 } ?? "+\(hidden)"
        }
        drawBox(box, title: "agents \(onlineCount)/\(s.agents.count) online", footer: footer, footerRole: "dim", &grid)
        if s.agents.isEmpty, rows > 0 {
            grid.put(row: box.top + 1, column: box.left + 2, width: inner, StyledText("nobody yet — /as NAME", role: "dim"))
        }
        for (i, agent) in ordered.prefix(shown).enumerated() {
            let isOnline = s.online.contains(agent.id)
            let row = box.top + 1 + i
            let glyph = (isOnline ? "●" : "○") + (s.managed.contains(agent.id) ? "⚙" : " ")
            grid.put(row: row, column: box.left + 2, width: 2, StyledText(glyph, role: isOnline ? "ok" : "dim"))
            let text = agentLine(agent, width: max(0, inner - 2))
            let role = agent.id == s.agent ? "title" : (isOnline ? "text" : "dim")
            grid.put(row: row, column: box.left + 4, width: max(0, inner - 2), StyledText(text, role: role))
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
        var footer: String? = nil
        if let search = s.search, !search.query.isEmpty {
            footer = "find “\(search.query)” \(search.position) · ^F older ^N newer"
        } else if s.stream.newBelow > 0 {
            footer = "\(s.stream.newBelow) new below ▾ End"
        } else if s.stream.isScrolled {
            footer = s.stream.offset > 0 ? "scrolled ↑\(s.stream.offset) · End" : "scrolled · End"
        }
        drawBox(box, title: "crew stream" + (s.crew.map { " @\($0)" } ?? ""), footer: footer, &grid)
        let inner = box.width - 4
        let height = box.height - 2
        guard inner > 0, height > 0 else { return }
        if s.stream.count == 0 {
            grid.put(row: box.top + 1, column: box.left + 2, width: inner, StyledText("nothing yet — say hello, or /help", role: "dim"))
            return
        }
        let rows = s.stream.visibleRows(height: height, width: inner)
        let first = height - rows.count
        let query = s.search?.query ?? ""
        let currentMatch = s.search.flatMap { search in search.current.map { search.matches[$0] } }
        for (i, visible) in rows.enumerated() {
            let highlights = query.isEmpty ? [] : StreamLayout.matches(of: query, in: visible.chars)
            let role = visible.number == currentMatch ? "match.current" : "match"
            var column = box.left + 2 + visible.row.indent
            let rowNumber = box.top + 1 + first + i
            for span in StreamLayout.spans(of: visible.line, chars: visible.chars, row: visible.row, highlights: highlights, highlightRole: role) {
                let w = TextWidth.width(of: span.text)
                grid.put(row: rowNumber, column: column, width: min(w, box.left + 2 + inner - column), span)
                column += w
            }
        }
    }

    /// The status bar: the fields that fit, chosen by priority — what is running, the connection, who you are,
    /// mentions, the crew first; then the search, ahoys, the bus and the theme while there is room — shown in a
    /// fixed order. A long activity is shortened (keeping its "· Esc cancels") rather than push the crew out.
    static func drawStatus(_ s: ScreenState, row: Int, _ grid: inout Canvas) {
        guard row >= 0, row < s.rows else { return }
        struct Field { var text: String; var role: String; var priority: Int; var shrinkTo: Int? = nil }
        var fields: [Field] = []
        if let activity = s.activity { fields.append(Field(text: activity, role: "warn", priority: 0, shrinkTo: 24)) }
        if let connection = s.connection {
            fields.append(Field(text: "\(s.busLabel) \(connection)", role: "error", priority: 0, shrinkTo: 24))
        } else {
            fields.append(Field(text: s.busLabel, role: "status", priority: 5))
        }
        fields.append(Field(text: "as \(s.agent)", role: "status", priority: 1))
        if s.mentions > 0 { fields.append(Field(text: "@\(s.mentions) mention\(s.mentions == 1 ? "" : "s")", role: "mention", priority: 1)) }
        fields.append(Field(text: "crew \(s.crew ?? "-")", role: "status", priority: 2))
        if let search = s.search, !search.query.isEmpty { fields.append(Field(text: "find \(search.position)", role: "status", priority: 3)) }
        if s.recording { fields.append(Field(text: "● rec", role: "status", priority: 2)) }
        fields.append(Field(text: "ahoys \(s.openAhoys)", role: "status", priority: 4))
        fields.append(Field(text: "theme \(s.theme)", role: "status", priority: 6))
        // The essential fields (priority ≤ 2) always show, a shrinkable one shortened only if they would not
        // fit whole; the rest join by priority while they fit whole (stopping at the first that does not).
        let separator = 3  // " │ "
        var keep = Set(fields.indices.filter { fields[$0].priority <= 2 })
        func width(_ index: Int) -> Int { TextWidth.width(of: fields[index].text) }
        var used = 1 + keep.reduce(0) { $0 + width($1) } + separator * max(0, keep.count - 1)
        if used > s.columns {
            for index in fields.indices where keep.contains(index) {
                guard let floor = fields[index].shrinkTo, width(index) > floor else { continue }
                let room = max(floor, width(index) - (used - s.columns))
                used -= width(index) - room
                fields[index].text = shorten(fields[index].text, to: room)
            }
        }
        let optional = fields.indices.filter { !keep.contains($0) }
            .sorted { fields[$0].priority != fields[$1].priority ? fields[$0].priority < fields[$1].priority : $0 < $1 }
        for index in optional {
            let w = width(index) + separator
            if used + w > s.columns { break }
            keep.insert(index)
            used += w
        }
        var column = 0
        var first = true
        for (index, field) in fields.enumerated() where keep.contains(index) {
            let text = (first ? " " : " │ ") + field.text
            first = false
            let w = TextWidth.width(of: text)
            grid.put(row: row, column: column, width: min(w, max(0, s.columns - column)), StyledText(text, role: field.role))
            column += w
            if column >= s.columns { break }
        }
        if column < s.columns { grid.put(row: row, column: column, width: s.columns - column, StyledText("", role: "status")) }
    }

    /// `text` in `width` columns: cut with "…", keeping a trailing " · hint" when there is room for it.
    static func shorten(_ text: String, to width: Int) -> String {
        guard TextWidth.width(of: text) > width, width > 1 else { return TextWidth.fit(text, columns: max(0, width), pad: false) }
        if let dot = text.range(of: " · ", options: .backwards) {
            let tail = String(text[dot.lowerBound...])
            let headRoom = width - TextWidth.width(of: tail) - 1
            if headRoom >= 8 { return TextWidth.fit(text[..<dot.lowerBound], columns: headRoom, pad: false) + "…" + tail }
        }
        return TextWidth.fit(text, columns: width - 1, pad: false) + "…"
    }

    /// The input line, scrolled horizontally so the cursor is always visible.
    static func inputLine(_ s: ScreenState, columns: Int) -> (String, Int) {
        if let search = s.search, search.typing {
            let prompt = "find › "
            let text = prompt + search.query
            let shown = TextWidth.width(of: text) < columns ? text : prompt + "…" + String(search.query.suffix(max(1, columns / 2)))
            return (shown, min(columns - 1, TextWidth.width(of: shown)))
        }
        let prompt = s.input.search.map { s.input.searchFailed ? "(no match for '\($0)') " : "(search '\($0)') " } ?? s.prompt
        let promptWidth = TextWidth.width(of: prompt)
        let room = max(1, columns - promptWidth - 1)
        let chars = s.input.text.map { $0 == "\n" ? "⏎" : $0 }
        var start = 0
        var beforeCursor = TextWidth.width(of: String(chars[0..<s.input.cursor]))
        while beforeCursor > room && start < s.input.cursor {
            beforeCursor -= TextWidth.width(of: chars[start])
            start += 1
        }
        let visible = String(chars[start...])
        return (prompt + visible, promptWidth + beforeCursor)
    }

    /// A pasted multi-line message in the input: a header saying how many lines and what Enter does, then the
    /// lines around the cursor.
    static func drawMultilineInput(_ s: ScreenState, _ layout: Layout, _ grid: inout Canvas) -> (row: Int, column: Int) {
        let cols = max(1, s.columns)
        let lines = s.input.line.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The cursor's line and column.
        var cursorLine = 0
        var cursorColumnChars = 0
        for c in s.input.text.prefix(s.input.cursor) {
            if c == "\n" { cursorLine += 1; cursorColumnChars = 0 } else { cursorColumnChars += 1 }
        }
        let room = layout.inputRows - 1
        let firstShown = max(0, min(cursorLine - room + 1, lines.count - room))
        let hiddenAbove = firstShown, hiddenBelow = max(0, lines.count - firstShown - room)
        var header = "▾ \(lines.count) lines, sent as one message with Enter · ^U clears"
        if hiddenAbove + hiddenBelow > 0 { header += " · \(hiddenAbove) above, \(hiddenBelow) below" }
        grid.put(row: layout.inputRow, column: 0, width: cols, StyledText(header, role: "dim"))
        var cursor = (row: layout.inputRow + 1, column: TextWidth.width(of: s.prompt))
        for (i, line) in lines.dropFirst(firstShown).prefix(room).enumerated() {
            let index = firstShown + i
            let prefix = index == 0 ? s.prompt : String(repeating: " ", count: TextWidth.width(of: s.prompt))
            let row = layout.inputRow + 1 + i
            var text = line
            if index == cursorLine {
                let before = TextWidth.width(of: String(line.prefix(cursorColumnChars)))
                let width = cols - TextWidth.width(of: prefix) - 1
                if before > width {
                    text = String(line.dropFirst(cursorColumnChars - max(0, width / 2)))
                    cursor = (row, TextWidth.width(of: prefix) + TextWidth.width(of: String(text.prefix(max(0, width / 2)))))
                } else {
                    cursor = (row, TextWidth.width(of: prefix) + before)
                }
            }
            grid.put(row: row, column: 0, width: cols, StyledText(prefix + text, role: "input"))
        }
        return cursor
    }

    static func pad(_ text: String, _ width: Int) -> String { TextWidth.fit(text, columns: max(width, 1)) }
}
