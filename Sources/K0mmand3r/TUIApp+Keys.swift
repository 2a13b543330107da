@preconcurrency import CNcurses
import Foundation
import K0mmand3rKit

/// What each key does: editing, Enter, Tab cycling, the ^F find prompt, scrolling (keys and wheel), panes,
/// pastes, ^Z.
extension TUIApp {
    func handle(_ input: Input, history: HistoryFile) {
        if let pending = confirmation {
            confirmation = nil
            let answer: Character? = if case .key(.character(let c)) = input { c } else { nil }
            if answer == "y" || answer == "Y" {
                state.notice = nil
                submit(pending.command)
                return
            }
            state.notice = .dim("not done: \(pending.shown)")
            state.stream.append(StyledText("not done: \(pending.shown)", role: "dim", indent: 2))
            // n and Escape only answer; any other key is also what it always is, so a person who typed on
            // after the command (the question comes when the command has run) loses no keystroke to it.
            if answer == "n" || answer == "N" || input == .escape || input == .interrupt { return }  // ^C: no, not quit
        }
        if state.search?.typing == true, handleFind(input) { return }
        if input != .tab && input != .backTab { completion = nil }
        let height = state.streamHeight, width = state.streamWidth
        switch input {
        case .key(let key):
            state.input.handle(key)
            if key != .historyUp && key != .historyDown { state.notice = nil }
        case .paste(let text):
            state.input.insert(text)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            if lines > 1 { state.notice = .dim("pasted \(lines) lines: Enter sends them as one message (^U clears)") }
        case .escape:
            if running != nil {
                cancelRunning()
            } else if state.search != nil {
                search(nil, typing: false)
            } else {
                state.input.handle(.cancel)
            }
        case .enter:
            let line = state.input.submit()
            state.notice = nil
            guard !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return }
            // A pasted block stays out of the history file (one entry a line there).
            if !line.contains("\n") { history.add(line) }
            feed.clearMentions()
            state.mentions = 0
            submit(line)
        case .tab, .backTab:
            completeAtCursor(forward: input == .tab)
        case .pageUp: state.stream.scroll(by: max(1, height - 1), height: height, width: width)
        case .pageDown: state.stream.scroll(by: -max(1, height - 1), height: height, width: width)
        case .wheel(let up): state.stream.scroll(by: up ? 3 : -3, height: height, width: width)
        case .scrollHome:
            if state.input.text.isEmpty || state.stream.isScrolled {
                state.stream.scrollToTop(height: height, width: width)
            } else {
                state.input.handle(.home)
            }
        case .scrollEnd:
            if state.input.text.isEmpty || state.stream.isScrolled { state.stream.scrollToBottom() } else { state.input.handle(.end) }
        case .find:
            search(state.search?.query ?? "", typing: true)
        case .findNewer:
            state.input.handle(.historyDown)
        case .suspend:
            suspend()
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

    func toggle(_ pane: Pane) {
        if state.collapsed.contains(pane) { state.collapsed.remove(pane) } else { state.collapsed.insert(pane) }
    }

    /// Tab and Shift-Tab: the first candidate, then the next (or previous) one each press; the list shows in
    /// the notice line, the current one in brackets.
    private func completeAtCursor(forward: Bool) {
        if var cycle = completion, state.input.text == cycle.line.text {
            cycle.step(forward ? 1 : -1)
            completion = cycle
        } else {
            let context = Self.completionContext(snapshot, datums: datumIDs, me: state.agent, crew: state.crew)
            guard var cycle = Completer(context: context).cycle(text: state.input.text, cursor: state.input.cursor) else {
                state.notice = .dim("no completions")
                completion = nil
                return
            }
            if !forward { cycle.step(-1) }
            completion = cycle
        }
        guard let cycle = completion else { return }
        let (text, cursor) = cycle.line
        state.input.set(String(text), cursor: cursor)
        state.notice = cycle.candidates.count > 1
            ? .dim(Completer.list(cycle.candidates, current: cycle.index, width: state.columns) + "  (Tab ↹ next, Shift-Tab back)")
            : nil
        if cycle.candidates.count == 1 { completion = nil }
    }

    // MARK: Find (^F, /search)

    /// Keys while the ^F prompt is open; false when the key is not the prompt's (it then does its usual job).
    private func handleFind(_ input: Input) -> Bool {
        guard var search = state.search else { return false }
        switch input {
        case .key(.character(let c)):
            search.query.append(c)
            state.search = search
            refreshSearch(jump: true)
        case .key(.backspace):
            if !search.query.isEmpty { search.query.removeLast() }
            state.search = search
            refreshSearch(jump: true)
        case .find, .key(.historyUp): step(older: true)
        case .findNewer, .key(.historyDown): step(older: false)
        case .enter:
            search.typing = false
            state.search = search.query.isEmpty ? nil : search
        case .escape, .key(.cancel), .interrupt:
            self.search(nil, typing: false)
        default:
            return false
        }
        return true
    }

    /// Starts (or clears, with nil) a search of the stream and shows the newest match.
    func search(_ query: String?, typing: Bool) {
        guard let query else {
            state.search = nil
            state.stream.scrollToBottom()
            return
        }
        state.search = StreamSearch(query: query, typing: typing)
        refreshSearch(jump: true)
        if !typing, let search = state.search, search.matches.isEmpty { state.notice = .warn("no line in the stream contains “\(query)”") }
    }

    /// Keeps the matches current: all lines again when the query changed (`jump`: show the newest), else only
    /// the lines that arrived since (a busy stream costs one look per new line, not a scan of the history).
    func refreshSearch(jump: Bool = false) {
        guard var search = state.search, !search.query.isEmpty else { return }
        let previousLine = search.current.map { search.matches[$0] }
        if jump {
            search.matches = state.stream.search(search.query)
        } else {
            search.matches.removeAll { $0 < state.stream.firstNumber }
            search.matches += state.stream.search(search.query, from: search.searched)
        }
        search.searched = state.stream.totalAppended
        if jump || previousLine == nil {
            search.current = search.matches.isEmpty ? nil : search.matches.count - 1
        } else {
            search.current = previousLine.flatMap { search.matches.firstIndex(of: $0) }
        }
        state.search = search
        if jump, let current = search.current {
            state.stream.reveal(search.matches[current], height: state.streamHeight, width: state.streamWidth)
        }
    }

    private func step(older: Bool) {
        guard var search = state.search, !search.matches.isEmpty else { return }
        let current = search.current ?? search.matches.count
        search.current = older ? max(0, current - 1) : min(search.matches.count - 1, current + 1)
        state.search = search
        if let index = search.current {
            state.stream.reveal(search.matches[index], height: state.streamHeight, width: state.streamWidth)
        }
    }

    // MARK: ^Z

    /// Leaves the screen to the shell (`fg` brings it back, drawn afresh), as ^Z does in a cooked terminal: the
    /// screen is put away, then the job (this process group) is stopped. The stop is signalled to the process,
    /// not this thread — the input loop runs on a pool thread that blocks signals — with the default action
    /// (curses' own handler would redraw from another thread), and lands while this thread sleeps.
    private func suspend() {
        KeyReader.terminalModes(on: false, mouse: false)
        endwin()
        let previousHandler = signal(SIGTSTP, SIG_DFL)
        kill(0, SIGTSTP)
        usleep(100_000)
        // Continued (`fg`).
        signal(SIGTSTP, previousHandler)
        refresh()
        KeyReader.terminalModes(on: true, mouse: mouse)
        state.columns = Int(b00t_cols())
        state.rows = Int(b00t_lines())
        previous = nil
        clearok(b00t_stdscr(), true)
    }
}
