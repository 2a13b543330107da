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
    var previous: Frame?
    private var pairs: [Theme.Style: Int16] = [:]
    private let inbox = EventInbox()
    var lastServicesRefresh = Date.distantPast
    private var touched: Set<String> = []
    var quit = false
    var snapshot = BusState()
    /// What this reader sees of each event (privacy, dates, mentions), folded with the events themselves so a
    /// crew message is judged against the crew as it was when it was said.
    var feed: StreamFeed
    private var feedState = BusState()
    let keys = KeyReader()
    /// Tab pressed again: the next candidate.
    var completion: Completer.Cycle?
    /// Mouse wheel reporting (`/mouse off` gives the terminal its selection back).
    var mouse = true
    /// Set when the event stream ended for good (a log that went backwards, a closed connection).
    private var streamFailure: String?
    var datumIDs: [String] = []

    /// The command running now, and those typed while it runs.
    struct Running {
        var id: Int
        var line: String
        var started: ContinuousClock.Instant
        var task: Task<Void, Never>
        /// `stream.totalAppended` right after its echo: output lands under it or under a repeated header.
        var mark: Int
    }
    var running: Running?
    /// A chat line being sent: chat does not wait behind a slow command (see `startNextIfIdle`).
    private var runningChat: Running?
    var queued: [String] = []
    private var nextCommandID = 0
    var confirmation: Confirmation?

    init(session: Session, themeName: String, scrollback: Int) {
        self.session = session
        self.bus = session.bus
        state = ScreenState(columns: 80, rows: 24, stream: Scrollback(capacity: scrollback))
        feed = StreamFeed(me: "")
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
    nonisolated static func completionContext(_ s: BusState, datums: [String], me: String = "", crew: String? = nil) -> Completer.Context {
        Completer.Context.from(s, datums: datums, themes: Theme.available(), me: me, crew: crew)
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
            KeyReader.terminalModes(on: false, mouse: false)
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
            drawIfChanged()
            if let key = keys.read() {
                handle(key, history: history)
                changed = true
                // Keys that came faster than a frame (fast typing, a terminal sending a line at once) are taken
                // together and drawn once: one key a turn, each with its own draw, showed 62 keys in 350 ms.
                var burst = 1
                while burst < Self.keysPerFrame, !quit, let more = keys.readPending() {
                    handle(more, history: history)
                    burst += 1
                }
            }
            let waiting = queued.count
            startNextIfIdle()
            if queued.count != waiting { changed = true }
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
        let events = inbox.drain()
        if !events.isEmpty {
            changed = true
            feed.me = state.agent
            for event in events {
                feedState.apply(event)
                for line in feed.lines(for: event, state: feedState, live: true) { state.stream.append(line) }
            }
            state.mentions = feed.mentions
            refreshSearch()
        }
        if let failure = inbox.takeFailure() {
            changed = true
            state.stream.append(StyledText("bus stream stopped: \(failure)", role: "error"))
            state.notice = .error("bus: \(failure)")
            // It stays in the status bar: nothing new arrives on this screen any more.
            streamFailure = "✖ stream stopped"
        }
        if let (s, connection, info) = inbox.takeSnapshot() {
            let shown = SnapshotView(state)
            defer { if SnapshotView(state) != shown { changed = true } }
            snapshot = s
            state.agents = Array(s.agents.values)
            state.online = s.online
            state.openAhoys = s.ahoys.values.filter { $0.status == .open }.count
            state.managed = Set(state.services.filter { $0.state == .running }.compactMap { AgentServiceDatums.agent(ofService: $0.id) })
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
        for completion in inbox.takeCompletions() {
            finish(completion)
            changed = true
        }
    }

    private func apply(_ info: SessionInfo) {
        state.agent = info.agent
        state.crew = info.crew
        state.recording = info.recording
    }

    private static let spinner = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

    private func updateActivity() {
        let shown = state.activity
        defer { if state.activity != shown { changed = true } }
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

    func submit(_ line: String) {
        queued.append(line)
        startNextIfIdle()
    }

    static func isChat(_ line: String) -> Bool { !line.trimmingCharacters(in: .whitespaces).hasPrefix("/") || line.contains("\n") }

    /// Commands that change who speaks or to which crew: chat typed after them waits for them.
    static func isBarrier(_ line: String) -> Bool {
        let word = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
        return ["/as", "/crew", "/quit", "/exit", "/q", "/record"].contains(word)
    }

    /// Commands run one at a time in the order typed. A chat line does not wait behind a slow command (a
    /// handshake waiting for its answer): it is sent at once, chat lines in their order — unless a command
    /// typed before it changes who speaks or to which crew (`/as`, `/crew`), which it then waits for.
    func startNextIfIdle() {
        guard !quit else { return }
        while let line = queued.first {
            if Self.isChat(line) {
                guard runningChat == nil, running.map({ !Self.isBarrier($0.line) }) ?? true else { return }
                queued.removeFirst()
                runningChat = start(line)
            } else {
                guard running == nil, runningChat == nil else { return }
                queued.removeFirst()
                // A search is not echoed: the echo would be its own newest match.
                if !line.hasPrefix("/search"), !line.hasPrefix("/find") { state.stream.append(StyledText("› \(line)", role: "dim")) }
                running = start(line)
            }
        }
    }

    private func start(_ line: String) -> Running {
        nextCommandID += 1
        let id = nextCommandID
        let session = self.session, inbox = self.inbox
        let task = Task.detached {
            let outcome = await session.run(line)
            inbox.complete(Completion(id: id, line: line, outcome: outcome))
        }
        return Running(id: id, line: line, started: .now, task: task, mark: state.stream.totalAppended)
    }

    /// Esc or ^C while a command runs: it is cancelled, and the screen moves on at once (a command that does not
    /// stop right away finishes unseen).
    func cancelRunning() {
        guard let current = running else { return }
        current.task.cancel()
        running = nil
        // Cancelling stops the waiting here; a request the bus already took may still land (the stream will say).
        state.stream.append(StyledText("✗ cancelled: \(current.line) — if it had reached the bus it may still be applied", role: "warn", indent: 2))
        state.notice = .warn("cancelled \(current.line)")
    }

    private func finish(_ completion: Completion) {
        let current: Running
        if let chat = runningChat, chat.id == completion.id {
            current = chat
            runningChat = nil
        } else if let command = running, command.id == completion.id {
            current = command
            running = nil
        } else {
            return  // cancelled earlier
        }
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
            case .search(let query): search(query, typing: false)
            case .mouse(let on):
                mouse = on ?? !mouse
                KeyReader.terminalModes(on: true, mouse: mouse)
                state.notice = .dim(mouse ? "mouse wheel scrolls the stream (Shift-drag selects text in most terminals; /mouse off)"
                                          : "mouse off: the terminal selects text; /mouse on for the wheel")
            }
        }
        let chat = Self.isChat(line)
        if !chat || outcome.failed, !outcome.lines.isEmpty {
            // Output stays on the record, under its command (or under a repeated header if events came between).
            if chat {
                state.stream.append(StyledText("› \(line)", role: "dim"))
            } else if state.stream.totalAppended != current.mark {
                state.stream.append(StyledText("↳ \(TextWidth.fit(line, columns: 60, pad: false))", role: "dim"))
            }
            for out in outcome.lines {
                var line = out
                line.indent = 2
                state.stream.append(line)
            }
        }
        if outcome.failed, let first = outcome.lines.first {
            state.notice = StyledText(first.text + (outcome.lines.count > 1 ? " (more in the stream)" : ""), role: first.role)
        }
        lastServicesRefresh = .distantPast
    }

    // MARK: Curses

    func startCurses() {
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
        KeyReader.terminalModes(on: true, mouse: mouse)
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

    /// Writes text at the cursor. Plain ASCII goes as one string; anything else cell by cell, each cell whole
    /// (`TextWidth.cells`): curses then counts columns exactly as the model and the terminal do, and an emoji
    /// with a skin tone or a ZWJ sequence never pushes the right border off the row.
    static func add(_ text: String) {
        if TextWidth.isPlainASCII(text) {
            _ = b00t_addstr(text)
            return
        }
        for cell in TextWidth.cells(of: text) {
            var chars = cell.text.unicodeScalars.map { wchar_t(bitPattern: $0.value) }
            _ = chars.withUnsafeMutableBufferPointer { b00t_add_cell($0.baseAddress, Int32($0.count)) }
        }
    }

    /// At most this many keys are taken between two draws.
    static let keysPerFrame = 512

    /// Whether the next turn of the loop draws (see `RedrawGate`).
    var gate = RedrawGate()
    var changed: Bool {
        get { gate.changed }
        set { if newValue { gate.markChanged() } }
    }

    func drawIfChanged() {
        if gate.shouldDraw(at: Date(), busy: running != nil) { draw() }
    }

    func draw() {
        state.now = Date()
        let frame = ScreenModel.render(state)
        for row in frame.changedRows(since: previous) {
            _ = b00t_move(Int32(row), 0)
            for span in frame.rows[row] {
                b00t_attrset(attributes(for: span.role))
                Self.add(span.text)
            }
        }
        b00t_attrset(0)
        _ = b00t_move(Int32(frame.cursorRow), Int32(frame.cursorColumn))
        wnoutrefresh(b00t_stdscr())
        doupdate()
        previous = frame
    }

    // MARK: Bus and services

    /// The last 200 events, so the stream has context; returns the seq to follow from.
    /// The history replayed at start: who is in which crew is judged by the crews as they are now.
    private func loadInitialStream() async -> UInt64 {
        let now = (try? await bus.currentState()) ?? BusState()
        let last = now.lastSeq
        let recent = (try? await bus.events(after: last > 200 ? last - 200 : 0, limit: 200)) ?? []
        feedState = now
        feed.me = state.agent
        for event in recent {
            if event.seq > feedState.lastSeq { feedState.apply(event) }
            for line in feed.lines(for: event, state: feedState, live: false) { state.stream.append(line) }
        }
        let end = recent.last?.seq ?? last
        if !recent.isEmpty { state.stream.append(StyledText("──── live ────", role: "dim")) }
        return end
    }

    /// At least once a second, off the input loop: process datums with a record, plus what this session touched.
    private func refreshServicesIfDue() {
        if let services = inbox.takeServices(), services != state.services {
            state.services = services
            changed = true
        }
        guard Date().timeIntervalSince(lastServicesRefresh) >= 1, inbox.beginRefresh() else { return }
        lastServicesRefresh = Date()
        let touched = self.touched
        let inbox = self.inbox
        Task.detached {
            let catalog = CatalogSource.standard.catalog()
            let statuses = (try? await Orchestrator(catalog: catalog).status(of: { ServicePane.asks(about: $0, touched: touched) })) ?? []
            inbox.setServices(statuses.filter { ServicePane.shows($0, touched: touched) })
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

