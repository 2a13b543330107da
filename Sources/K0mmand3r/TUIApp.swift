import B00tCore
@preconcurrency import CNcurses
import CLineEdit
import Foundation
import K0mmand3rKit

/// The split-pane screen: computes a `Frame` from state with `ScreenModel` and draws only the rows that
/// changed (`wnoutrefresh` + `doupdate`, so no flicker). Input is read with `get_wch` (wide characters);
/// history is kept with libedit's history(3).
///
/// The input loop never waits on the bus. It runs on the main actor and only reads keys, draws, and takes what
/// background tasks left in an inbox: commands run as tasks (one at a time, in order; the status bar shows a
/// spinner and the elapsed time; Esc or ^C cancels), the event stream and a state watcher feed the panes.
@MainActor
final class TUIApp {
    let session: Session
    let bus: any CrewBus
    var state: ScreenState
    var theme: Theme
    private var previous: Frame?
    private var pairs: [Theme.Style: Int16] = [:]
    private let inbox = EventInbox()
    private var lastServicesRefresh = Date.distantPast
    private var touched: Set<String> = []
    private var quit = false
    private var snapshot = BusState()
    /// Set when the event stream ended for good (a log that went backwards, a closed connection).
    private var streamFailure: String?
    private var datumIDs: [String] = []

    /// The command running now, and those typed while it runs.
    private struct Running {
        var id: Int
        var line: String
        var started: ContinuousClock.Instant
        var task: Task<Void, Never>
        /// `stream.totalAppended` right after its echo: output lands under it or under a repeated header.
        var mark: Int
    }
    private var running: Running?
    private var queued: [String] = []
    private var nextCommandID = 0
    private var confirmation: Confirmation?

    init(session: Session, themeName: String, scrollback: Int) {
        self.session = session
        self.bus = session.bus
        state = ScreenState(columns: 80, rows: 24, stream: Scrollback(capacity: scrollback))
        do {
            theme = try Theme.load(named: themeName)
        } catch {
            theme = Theme.builtinDefault
            state.notice = .error("theme: \(error.description) — using the built-in default")
        }
        state.theme = theme.name
        state.busLabel = BusURL.shortLabel(bus.label)
    }

    /// Tab completion's view of the bus and datums (also used by line mode).
    nonisolated static func completionContext(_ s: BusState, datums: [String]) -> Completer.Context {
        Completer.Context(
            agents: s.agents.keys.sorted(), ahoys: s.listAhoys(.open).map(\.id),
            proposals: s.proposals.values.filter { $0.status == .open }.map(\.id).sorted(),
            skills: Array(Set(s.agents.values.flatMap(\.skills.keys))).sorted(),
            datums: datums, themes: Theme.available(), crews: s.crews.keys.sorted())
    }

    nonisolated static func runnableDatums() -> [String] {
        CatalogSource.standard.catalog().all.filter { $0.type.isRunnable }.map(\.id)
    }

    func run() async throws {
        let history = HistoryFile()
        let lines = history.lines
        state.input = LineEditor(history: lines)
        let info = await session.info
        apply(info)

        startCurses()
        defer {
            endwin()
            history.save()
        }
        let start = await loadInitialStream()
        let background = startBackground(after: start)
        defer { for task in background { task.cancel() } }

        while !quit {
            takeInbox()
            refreshServicesIfDue()
            updateActivity()
            draw()
            if let key = readKey() { handle(key, history: history) }
            startNextIfIdle()
            await Task.yield()
        }
        running?.task.cancel()
        for line in await session.finish() { FileHandle.standardError.write(Data((line.text + "\n").utf8)) }
    }

    // MARK: Background work

    /// The event stream, a watcher of the folded state and connection, and the datum list: all off the input loop.
    private func startBackground(after seq: UInt64) -> [Task<Void, Never>] {
        let bus = self.bus, inbox = self.inbox, session = self.session
        let follow = Task.detached {
            do {
                let events = bus.follow(after: seq) { trouble in
                    switch trouble {
                    case .retrying(let why, let attempt): inbox.setTrouble("⟳ unreachable (try \(attempt)): \(why)")
                    case .recovered: inbox.setTrouble(nil)
                    }
                }
                for try await event in events { inbox.push(event) }
            } catch {
                inbox.fail("\(error)")
            }
        }
        let watch = Task.detached {
            while !Task.isCancelled {
                let state = await bus.state
                let connection = await (bus as? RemoteBus)?.connection
                let info = await session.info
                inbox.setSnapshot(state, connection: connection, info: info)
                try? await Task.sleep(for: .milliseconds(150))
            }
        }
        let datums = Task.detached {
            inbox.setDatums(TUIApp.runnableDatums())
        }
        return [follow, watch, datums]
    }

    private func takeInbox() {
        for event in inbox.drain() { for line in StreamFormatter.lines(event) { state.stream.append(line) } }
        if let failure = inbox.takeFailure() {
            state.stream.append(StyledText("bus stream stopped: \(failure)", role: "error"))
            state.notice = .error("bus: \(failure)")
            // It stays in the status bar: nothing new arrives on this screen any more.
            streamFailure = "✖ stream stopped"
        }
        if let (s, connection, info) = inbox.takeSnapshot() {
            snapshot = s
            state.agents = Array(s.agents.values)
            state.online = s.online
            state.openAhoys = s.ahoys.values.filter { $0.status == .open }.count
            switch connection {
            case .reconnecting(let attempt, let since, _)?:
                state.connection = "⟳ reconnecting… \(Int(Date().timeIntervalSince(since)))s (try \(attempt))"
            case .closed?: state.connection = "✖ closed"
            case .daemonStopped?: state.connection = "⏸ daemon stopped — the next bus command starts it"
            default: state.connection = streamFailure ?? inbox.trouble.map { TextWidth.fit($0, columns: 40, pad: false) }
            }
            apply(info)
        }
        if let datums = inbox.takeDatums() { datumIDs = datums }
        for completion in inbox.takeCompletions() { finish(completion) }
    }

    private func apply(_ info: SessionInfo) {
        state.agent = info.agent
        state.crew = info.crew
        state.recording = info.recording
    }

    private static let spinner = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

    private func updateActivity() {
        guard let running else {
            state.activity = queued.isEmpty ? nil : "\(queued.count) queued"
            return
        }
        let elapsed = ContinuousClock.now - running.started
        let seconds = elapsed.seconds
        let frame = Self.spinner[Int(seconds * 10) % Self.spinner.count]
        let label = TextWidth.fit(running.line, columns: 28, pad: false)
        state.activity = "\(frame) \(label) \(String(format: "%.1f", seconds))s · Esc cancels"
            + (queued.isEmpty ? "" : " · \(queued.count) queued")
    }

    // MARK: Commands

    private func submit(_ line: String) {
        queued.append(line)
        startNextIfIdle()
    }

    private func startNextIfIdle() {
        guard running == nil, !queued.isEmpty, !quit else { return }
        let line = queued.removeFirst()
        if line.hasPrefix("/") { state.stream.append(StyledText("› \(line)", role: "dim")) }
        nextCommandID += 1
        let id = nextCommandID
        let session = self.session, inbox = self.inbox
        let task = Task.detached {
            let outcome = await session.run(line)
            inbox.complete(Completion(id: id, line: line, outcome: outcome))
        }
        running = Running(id: id, line: line, started: .now, task: task, mark: state.stream.totalAppended)
    }

    /// Esc or ^C while a command runs: it is cancelled, and the screen moves on at once (a command that does not
    /// stop right away finishes unseen).
    private func cancelRunning() {
        guard let current = running else { return }
        current.task.cancel()
        running = nil
        // Cancelling stops the waiting here; a request the bus already took may still land (the stream will say).
        state.stream.append(StyledText("✗ cancelled: \(current.line) — if it had reached the bus it may still be applied", role: "warn", indent: 2))
        state.notice = .warn("cancelled \(current.line)")
    }

    private func finish(_ completion: Completion) {
        guard let current = running, current.id == completion.id else { return }  // cancelled earlier
        running = nil
        let outcome = completion.outcome
        let line = completion.line
        for effect in outcome.effects {
            switch effect {
            case .quit: quit = true; return
            case .clear: state.stream.clear()
            case .setTheme(let loaded):
                theme = loaded
                pairs.removeAll()
                previous = nil
                state.theme = theme.name
            case .togglePane(let pane?): toggle(pane)
            case .togglePane(nil): state.collapsed = state.collapsed.isEmpty ? [.services, .agents] : []
            case .touched(let service): touched.insert(service)
            case .confirm(let question):
                confirmation = question
                state.notice = .warn(question.question + " [y/N]")
                return
            }
        }
        let chat = !line.hasPrefix("/")
        if !chat || outcome.failed, !outcome.lines.isEmpty {
            // Output stays on the record, under its command (or under a repeated header if events came between).
            if chat {
                state.stream.append(StyledText("› \(line)", role: "dim"))
            } else if state.stream.totalAppended != current.mark {
                state.stream.append(StyledText("↳ \(TextWidth.fit(line, columns: 60, pad: false))", role: "dim"))
            }
            for out in outcome.lines { state.stream.append(StyledText(out.text, role: out.role, indent: 2)) }
        }
        if outcome.failed { state.notice = outcome.lines.first }
        lastServicesRefresh = .distantPast
    }

    // MARK: Curses

    private func startCurses() {
        TerminalLocale.ensureUTF8()
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
        case escape, enter, tab, pageUp, pageDown, scrollEnd, resize, redraw, interrupt, eof, function(Int)
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
            guard b00t_get_wch(&next) == OK else { return .escape }
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

    private func handle(_ input: Input, history: HistoryFile) {
        if let pending = confirmation {
            confirmation = nil
            if case .key(.character(let c)) = input, c == "y" || c == "Y" {
                state.notice = nil
                submit(pending.command)
            } else {
                state.notice = .dim("not done: \(pending.shown)")
                state.stream.append(StyledText("not done: \(pending.shown)", role: "dim", indent: 2))
            }
            return
        }
        switch input {
        case .key(let key):
            state.input.handle(key)
            if key != .historyUp && key != .historyDown { state.notice = nil }
        case .escape:
            if running != nil { cancelRunning() } else { state.input.handle(.cancel) }
        case .enter:
            let line = state.input.submit()
            state.notice = nil
            guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
            history.add(line)
            submit(line)
        case .tab:
            let completer = Completer(context: Self.completionContext(snapshot, datums: datumIDs))
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
            // ^C: cancel what runs; else clear the line; on an empty line, quit.
            if running != nil {
                cancelRunning()
            } else if !queued.isEmpty {
                queued.removeAll()
                state.notice = .warn("queued commands dropped")
            } else if state.input.text.isEmpty {
                quit = true
            } else {
                _ = state.input.submit()
            }
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

    // MARK: Bus and services

    /// The last 200 events, so the stream has context; returns the seq to follow from.
    private func loadInitialStream() async -> UInt64 {
        let last = (try? await bus.currentState().lastSeq) ?? 0
        let recent = (try? await bus.events(after: last > 200 ? last - 200 : 0, limit: 200)) ?? []
        for event in recent { for line in StreamFormatter.lines(event) { state.stream.append(line) } }
        let end = recent.last?.seq ?? last
        if !recent.isEmpty { state.stream.append(StyledText("──── live ────", role: "dim")) }
        return end
    }

    /// At least once a second, off the input loop: process datums with a record, plus what this session touched.
    private func refreshServicesIfDue() {
        if let services = inbox.takeServices() { state.services = services }
        guard Date().timeIntervalSince(lastServicesRefresh) >= 1, inbox.beginRefresh() else { return }
        lastServicesRefresh = Date()
        let touched = self.touched
        let inbox = self.inbox
        Task.detached {
            let catalog = CatalogSource.standard.catalog()
            let orchestrator = Orchestrator(catalog: catalog)
            func wanted(_ status: ServiceStatus) -> Bool {
                let name = String(status.id.split(separator: ".").first ?? "")
                if touched.contains(status.id) || touched.contains(name) { return true }
                return status.runtime == "process" && status.state != .stopped
            }
            inbox.setServices(((try? await orchestrator.status()) ?? []).filter(wanted))
        }
    }
}

/// A finished command's answer, handed back to the input loop.
struct Completion: Sendable {
    var id: Int
    var line: String
    var outcome: CommandOutcome
}

/// Events, snapshots and command results handed from background tasks to the input loop.
final class EventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [BusEvent] = []
    private var failure: String?
    private var services: [ServiceStatus]?
    private var snapshot: (BusState, RemoteBus.Connection?, SessionInfo)?
    private var datums: [String]?
    private var completions: [Completion] = []
    private var troubleText: String?
    /// The store could not be read (direct backends); nil once it answers again.
    var trouble: String? { lock.withLock { troubleText } }
    func setTrouble(_ text: String?) { lock.withLock { troubleText = text } }

    func push(_ event: BusEvent) { lock.withLock { events.append(event) } }
    func drain() -> [BusEvent] { lock.withLock { defer { events.removeAll() }; return events } }
    func fail(_ message: String) { lock.withLock { failure = message } }
    func takeFailure() -> String? { lock.withLock { defer { failure = nil }; return failure } }
    private var refreshing = false
    func beginRefresh() -> Bool { lock.withLock { if refreshing { return false }; refreshing = true; return true } }
    func setServices(_ s: [ServiceStatus]) { lock.withLock { services = s; refreshing = false } }
    func takeServices() -> [ServiceStatus]? { lock.withLock { defer { services = nil }; return services } }
    func setSnapshot(_ s: BusState, connection: RemoteBus.Connection?, info: SessionInfo) {
        lock.withLock { snapshot = (s, connection, info) }
    }
    func takeSnapshot() -> (BusState, RemoteBus.Connection?, SessionInfo)? { lock.withLock { defer { snapshot = nil }; return snapshot } }
    func setDatums(_ d: [String]) { lock.withLock { datums = d } }
    func takeDatums() -> [String]? { lock.withLock { defer { datums = nil }; return datums } }
    func complete(_ c: Completion) { lock.withLock { completions.append(c) } }
    func takeCompletions() -> [Completion] { lock.withLock { defer { completions.removeAll() }; return completions } }
}

/// The C locale would make wide characters (box lines, ✓, the prompt's ›) garbage — and libedit crash on them.
enum TerminalLocale {
    static func ensureUTF8() {
        if setlocale(LC_ALL, "") == nil || !String(cString: nl_langinfo(Int32(CODESET))).uppercased().contains("UTF") {
            setlocale(LC_ALL, "C.UTF-8")
        }
    }
}
