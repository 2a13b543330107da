import B00tCore
@preconcurrency import CNcurses
import CLineEdit
import Foundation
import K0mmand3rKit

/// The split-pane screen: computes a `Frame` from state with `ScreenModel` and draws only the rows that
/// changed (`wnoutrefresh` + `doupdate`, so no flicker). Input is read with `get_wch` (wide characters);
/// history is kept with libedit's history(3).
final class TUIApp {
    let session: Session
    var state: ScreenState
    var theme: Theme
    private var previous: Frame?
    private var pairs: [Theme.Style: Int16] = [:]
    private let inbox = EventInbox()
    private var lastServicesRefresh = Date.distantPast
    private var touched: Set<String> = []
    private var quit = false

    init(session: Session, themeName: String, scrollback: Int) async {
        self.session = session
        state = ScreenState(columns: 80, rows: 24, stream: Scrollback(capacity: scrollback))
        do {
            theme = try Theme.load(named: themeName)
        } catch {
            theme = Theme.builtinDefault
            state.notice = .error("theme: \(error.description) — using the built-in default")
        }
        state.theme = theme.name
    }

    static func completionContext(_ session: Session) async -> Completer.Context {
        let bus = await session.bus
        let s = await bus.state
        let catalog = BuiltinDatums.adding(to: DatumLoader().load())
        return Completer.Context(
            agents: s.agents.keys.sorted(), ahoys: s.listAhoys(.open).map(\.id),
            proposals: s.proposals.values.filter { $0.status == .open }.map(\.id).sorted(),
            skills: Array(Set(s.agents.values.flatMap(\.skills.keys))).sorted(),
            datums: catalog.all.filter { $0.type.isRunnable }.map(\.id), themes: Theme.available(),
            crews: s.crews.keys.sorted())
    }

    func run() async throws {
        let historyPath = B00tPaths.standard().stateDirectory + "/k0mmand3r_history"
        try? B00tPaths.ensurePrivateDirectory(B00tPaths.standard().stateDirectory)
        let history = b00t_history_open(1000)
        _ = b00t_history_load(history, historyPath)
        var lines: [String] = []
        var index = 0
        while let entry = b00t_history_at(history, Int32(index)) {
            lines.insert(String(cString: entry), at: 0)
            index += 1
        }
        state.input = LineEditor(history: lines)

        startCurses()
        defer {
            endwin()
            _ = b00t_history_save(history, historyPath)
            chmod(historyPath, 0o600)
            history_end(history)
        }
        await loadInitialStream()
        let bus = await session.bus
        let follow = Task { [inbox] in
            do {
                for try await event in bus.subscribe(after: await bus.state.lastSeq) { inbox.push(event) }
            } catch {
                inbox.fail("\(error)")
            }
        }
        defer { follow.cancel() }

        while !quit {
            await refreshFromBus()
            refreshServicesIfDue()
            draw()
            guard let key = readKey() else {
                await Task.yield()
                continue
            }
            await handle(key, history: history)
        }
    }

    // MARK: Curses

    private func startCurses() {
        if setlocale(LC_ALL, "") == nil || !String(cString: nl_langinfo(Int32(CODESET))).uppercased().contains("UTF") {
            setlocale(LC_ALL, "C.UTF-8")
        }
        initscr()
        raw()
        noecho()
        keypad(b00t_stdscr(), true)
        set_escdelay(25)
        b00t_timeout(50)
        if has_colors() {
            start_color()
            use_default_colors()
        }
        state.columns = Int(b00t_cols())
        state.rows = Int(b00t_lines())
    }

    private func attributes(for role: String) -> attr_t {
        let style = theme.style(role)
        var attrs: attr_t = 0
        if style.bold { attrs |= b00t_a_bold() }
        if style.underline { attrs |= b00t_a_underline() }
        if style.reverse { attrs |= b00t_a_reverse() }
        if style.dim { attrs |= b00t_a_dim() }
        guard has_colors(), style.fg >= 0 || style.bg >= 0 else { return attrs }
        let colours = Int(b00t_colors())
        var key = style
        key.bold = false; key.underline = false; key.reverse = false; key.dim = false
        if key.fg >= colours { key.fg = key.fg % 8 }
        if key.bg >= colours { key.bg = key.bg % 8 }
        if let pair = pairs[key] { return attrs | b00t_color_pair(Int32(pair)) }
        let next = Int16(pairs.count + 1)
        guard Int(next) < Int(b00t_color_pairs()) else { return attrs }
        init_pair(next, Int16(key.fg), Int16(key.bg))
        pairs[key] = next
        return attrs | b00t_color_pair(Int32(next))
    }

    private func draw() {
        state.now = Date()
        let frame = ScreenModel.render(state)
        for row in frame.changedRows(since: previous) {
            _ = b00t_move(Int32(row), 0)
            for span in frame.rows[row] {
                b00t_attrset(attributes(for: span.role))
                _ = b00t_addstr(span.text)
            }
        }
        b00t_attrset(0)
        _ = b00t_move(Int32(frame.cursorRow), Int32(frame.cursorColumn))
        wnoutrefresh(b00t_stdscr())
        doupdate()
        previous = frame
    }

    enum Input {
        case key(LineEditor.Key)
        case enter, tab, pageUp, pageDown, scrollEnd, resize, redraw, interrupt, eof, function(Int)
    }

    private func readKey() -> Input? {
        var ch: wint_t = 0
        let rc = b00t_get_wch(&ch)
        if rc == ERR { return nil }
        if rc == KEY_CODE_YES {
            switch Int32(ch) {
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_UP: return .key(.historyUp)
            case KEY_DOWN: return .key(.historyDown)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .scrollEnd
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_DC: return .key(.delete)
            case KEY_PPAGE: return .pageUp
            case KEY_NPAGE: return .pageDown
            case KEY_ENTER: return .enter
            case b00t_key_resize(): return .resize
            case KEY_F0 + 1...KEY_F0 + 12: return .function(Int(Int32(ch) - KEY_F0))
            default: return nil
            }
        }
        switch ch {
        case 1: return .key(.home)
        case 2: return .key(.left)
        case 3: return .interrupt
        case 4: return .eof
        case 5: return .key(.end)
        case 6: return .key(.right)
        case 7: return .key(.cancel)
        case 8, 127: return .key(.backspace)
        case 9: return .tab
        case 10, 13: return .enter
        case 11: return .key(.killToEnd)
        case 12: return .redraw
        case 14: return .key(.historyDown)
        case 16: return .key(.historyUp)
        case 18: return .key(.searchHistory)
        case 21: return .key(.killToStart)
        case 23: return .key(.deleteWordBack)
        case 27:
            // Alt-<key> arrives as ESC then the key.
            var next: wint_t = 0
            b00t_timeout(25)
            defer { b00t_timeout(50) }
            guard b00t_get_wch(&next) == OK else { return .key(.cancel) }
            switch next {
            case 98: return .key(.wordLeft)    // b
            case 102: return .key(.wordRight)  // f
            case 100: return .key(.deleteWordBack)
            default: return nil
            }
        default:
            guard let scalar = Unicode.Scalar(UInt32(ch)), ch >= 32 else { return nil }
            return .key(.character(Character(scalar)))
        }
    }

    private func handle(_ input: Input, history: OpaquePointer?) async {
        switch input {
        case .key(let key):
            state.input.handle(key)
            if key != .historyUp && key != .historyDown { state.notice = nil }
        case .enter:
            let line = state.input.submit()
            state.notice = nil
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
            _ = b00t_history_enter(history, line)
            await execute(line)
        case .tab:
            let completer = Completer(context: await Self.completionContext(session))
            let (completed, candidates) = completer.complete(state.input.line)
            state.input.set(completed)
            if candidates.count > 1 { state.notice = .dim(candidates.prefix(20).joined(separator: "  ")) }
            else if candidates.isEmpty { state.notice = .dim("no completions") }
        case .pageUp: state.stream.scroll(by: max(1, state.streamHeight - 1), height: state.streamHeight)
        case .pageDown: state.stream.scroll(by: -max(1, state.streamHeight - 1), height: state.streamHeight)
        case .scrollEnd:
            if state.input.text.isEmpty || state.stream.offset > 0 { state.stream.scrollToBottom() } else { state.input.handle(.end) }
        case .resize:
            state.columns = Int(b00t_cols())
            state.rows = Int(b00t_lines())
            previous = nil
            clearok(b00t_stdscr(), true)
        case .redraw:
            previous = nil
            clearok(b00t_stdscr(), true)
        case .interrupt:
            if state.input.text.isEmpty { quit = true } else { _ = state.input.submit() }
        case .eof:
            if state.input.text.isEmpty { quit = true } else { state.input.handle(.delete) }
        case .function(let n):
            let panes: [Int: Pane] = [1: .services, 2: .agents, 3: .stream]
            if let pane = panes[n] { toggle(pane) }
        }
    }

    private func toggle(_ pane: Pane) {
        if state.collapsed.contains(pane) { state.collapsed.remove(pane) } else { state.collapsed.insert(pane) }
    }

    private func execute(_ line: String) async {
        if let command = try? ReplCommand.parse(line) {
            switch command {
            case .up(let n), .stop(let n), .restart(let n): touched.insert(n)
            default: break
            }
        }
        if !line.hasPrefix("/") {
            // Chat: the bus event shows it; no echo needed.
        } else {
            state.stream.append(Scrollback.Line("› \(line)", role: "dim"))
        }
        let outcome = await session.run(line)
        if outcome.quit { quit = true; return }
        if outcome.clear { state.stream.clear() }
        if let name = outcome.theme {
            do {
                theme = try Theme.load(named: name)
                pairs.removeAll()
                previous = nil
                state.theme = theme.name
            } catch {
                state.notice = .error("theme: \(error.description)")
            }
        }
        if let pane = outcome.pane {
            if let p = Pane(rawValue: pane) { toggle(p) } else { state.collapsed = state.collapsed.isEmpty ? [.services, .agents] : [] }
        }
        if outcome.failed {
            state.notice = outcome.lines.first
        } else if line.hasPrefix("/") {
            for out in outcome.lines { state.stream.append(Scrollback.Line(out.text, role: out.role, indent: 2)) }
        }
        lastServicesRefresh = .distantPast
    }

    // MARK: Bus and services

    private func loadInitialStream() async {
        let bus = await session.bus
        let last = await bus.state.lastSeq
        let recent = (try? await bus.events(after: last > 200 ? last - 200 : 0, limit: 200)) ?? []
        for event in recent { state.stream.append(StreamFormatter.line(event)) }
    }

    private func refreshFromBus() async {
        for event in inbox.drain() { state.stream.append(StreamFormatter.line(event)) }
        if let failure = inbox.takeFailure() { state.notice = .error("bus: \(failure)") }
        let bus = await session.bus
        let s = await bus.state
        state.agents = s.agents.values.sorted { $0.id < $1.id }
        state.openAhoys = s.ahoys.values.filter { $0.status == .open }.count
        state.agent = await session.agent
        state.crew = await session.crew
        state.busLabel = bus.label
        state.recording = await session.isRecording
    }

    /// At least once a second, off the input loop: process datums with a record, plus what this session touched.
    private func refreshServicesIfDue() {
        if let services = inbox.takeServices() { state.services = services }
        guard Date().timeIntervalSince(lastServicesRefresh) >= 1, inbox.beginRefresh() else { return }
        lastServicesRefresh = Date()
        let touched = self.touched
        let inbox = self.inbox
        Task.detached {
            let catalog = BuiltinDatums.adding(to: DatumLoader().load())
            let orchestrator = Orchestrator(catalog: catalog)
            func wanted(_ status: ServiceStatus) -> Bool {
                let name = String(status.id.split(separator: ".").first ?? "")
                if touched.contains(status.id) || touched.contains(name) { return true }
                return status.runtime == "process" && status.state != .stopped
            }
            inbox.setServices(((try? orchestrator.status()) ?? []).filter(wanted))
        }
    }
}

/// Events and service snapshots handed from background tasks to the input loop.
final class EventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [BusEvent] = []
    private var failure: String?
    private var services: [ServiceStatus]?

    func push(_ event: BusEvent) { lock.withLock { events.append(event) } }
    func drain() -> [BusEvent] { lock.withLock { defer { events.removeAll() }; return events } }
    func fail(_ message: String) { lock.withLock { failure = message } }
    func takeFailure() -> String? { lock.withLock { defer { failure = nil }; return failure } }
    private var refreshing = false
    func beginRefresh() -> Bool { lock.withLock { if refreshing { return false }; refreshing = true; return true } }
    func setServices(_ s: [ServiceStatus]) { lock.withLock { services = s; refreshing = false } }
    func takeServices() -> [ServiceStatus]? { lock.withLock { defer { services = nil }; return services } }
}
