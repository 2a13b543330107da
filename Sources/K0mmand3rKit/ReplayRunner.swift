import B00tCore
import Foundation

/// Runs a replay file (`*.k0`): one command a line, `#` comments, and directives:
///
/// - `@as AGENT` — speak as AGENT from here on.
/// - `@expect [TEXT]` — the previous command succeeded (and its output contains TEXT).
/// - `@expect-error [TEXT]` — the previous command failed (with TEXT in the error).
/// - `@await TEXT [TIMEOUT_MS]` — wait (default 5 s, at most 120 s) for a bus event whose line contains TEXT:
///   agents' replies arrive after the command that caused them.
/// - `@sleep MS` — pause (at most 60 s).
/// - `@allow-errors` — from here on a failing command does not fail the run.
/// - `@paste N` — the next N lines, whatever they hold (a leading `/`, `#` or `@` included), are one chat
///   message, as a multi-line paste in the TUI is (`/record` writes pastes this way).
/// - `@datum-sandbox DIR` — datums come from a scratch git repository holding a copy of DIR's `.toml` files
///   (relative to the replay file), so a replay can mutate datums without touching its own files.
///
/// A command that fails with no `@expect-error` right after it fails the run, naming its line: a script that
/// goes wrong must not end "ok".
public struct ReplayRunner {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var file: String
        public var line: Int
        public var message: String
        /// `file:line: message`, or `file: message` for the file as a whole (line 0: it could not be read).
        public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
    }

    public struct Report: Sendable {
        public var commands = 0
        public var expectations = 0
        /// Failed commands with no `@expect-error`, let through by `@allow-errors`.
        public var allowedErrors = 0
        public var transcript: [String] = []
    }

    static let directives = ["@as", "@sleep", "@expect", "@expect-error", "@await", "@allow-errors", "@paste", "@datum-sandbox"]
    /// A pasted message in a replay file is at most this many lines.
    static let maximumPasteLines = 10_000
    static let maximumSleepMilliseconds = 60_000
    static let maximumAwaitMilliseconds = 120_000
    static let defaultAwaitMilliseconds = 5_000

    let session: Session
    /// Receives every command and its output as it runs (`b00t replay -v`, the REPL's pipe mode).
    let echo: (@Sendable (String) -> Void)?
    /// With `echo`: also `@as` switches and the bus events that arrived.
    let verbose: Bool

    public init(session: Session, echo: (@Sendable (String) -> Void)? = nil, verbose: Bool = false) {
        self.session = session
        self.echo = echo
        self.verbose = verbose
    }

    public func run(file path: String) async throws -> Report {
        guard let data = FileManager.default.contents(atPath: path) else {
            let why = FileManager.default.fileExists(atPath: path) ? "it is not readable (permissions?)" : "no such file"
            throw Failure(file: path, line: 0, message: "cannot read the replay file: \(why)")
        }
        return try await run(text: try Self.text(of: data, name: path), name: path)
    }

    /// The file as text, or a failure naming the first line that is not UTF-8 text (a binary file, say).
    static func text(of data: Data, name: String) throws(Failure) -> String {
        if let text = String(data: data, encoding: .utf8), !text.contains("\u{0}") { return text }
        var line = 1
        var start = data.startIndex
        for index in data.indices {
            if data[index] == 10 {
                if String(data: data[start..<index], encoding: .utf8) == nil { break }
                line += 1
                start = data.index(after: index)
            } else if data[index] == 0 {
                break
            }
        }
        throw Failure(file: name, line: line, message: "not UTF-8 text (a binary file?); a replay file holds one command a line")
    }

    public func run(text: String, name: String) async throws -> Report {
        let feed = EventFeed(bus: session.bus, after: (try? await session.bus.currentState().lastSeq) ?? 0)
        defer { feed.stop() }
        var sandbox: ReplayDatumSandbox? = nil
        defer { sandbox?.remove() }
        var report = Report()
        var last = CommandOutcome()
        var lastLine = 0
        var spoke = false  // an @as came before
        var allowErrors = false
        /// A failed command not yet excused by `@expect-error`.
        var unexcused: (line: Int, text: String, command: String)? = nil
        func flushEvents() {
            guard verbose, let echo else { return }
            for line in feed.takeUnshown() { echo("  · \(line)") }
        }
        func checkUnexcused() throws(Failure) {
            guard let failed = unexcused else { return }
            unexcused = nil
            if allowErrors {
                report.allowedErrors += 1
                return
            }
            // Nobody is registered behind a replay's back (ids stay reproducible): say so when that is the cause.
            let who = !spoke && failed.text.contains("unknown agent")
                ? " — a replay file says who speaks before its first command: @as NAME" : ""
            throw Failure(file: name, line: failed.line,
                          message: "\(failed.command) failed: \(failed.text)\(who) — add @expect-error after it if that is expected (or @allow-errors at the top)")
        }
        let allLines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var pasteUntil = -1  // lines up to this index belong to an @paste block already run
        for (index, raw) in allLines.enumerated() {
            let number = index + 1
            if index <= pasteUntil { continue }
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("@") {
                let (directive, argument) = Self.split(line)
                if directive != "@expect-error" && directive != "@expect" { try checkUnexcused() }
                switch directive {
                case "@as":
                    guard !argument.isEmpty else { throw Failure(file: name, line: number, message: "@as needs an agent id") }
                    last = await session.run("/as \(argument)")
                    lastLine = number
                    spoke = true
                    if last.failed { throw Failure(file: name, line: number, message: last.text) }
                    if verbose, echo != nil {
                        echo?("@as \(argument)")
                        await feed.waitUntilSeen((try? await session.bus.currentState().lastSeq) ?? 0, timeout: .seconds(2))
                        flushEvents()
                    }
                case "@sleep":
                    guard let ms = Int(argument), (0...Self.maximumSleepMilliseconds).contains(ms) else {
                        throw Failure(file: name, line: number, message: "@sleep needs milliseconds, 0–\(Self.maximumSleepMilliseconds) (got '\(argument)')")
                    }
                    try await Task.sleep(for: .milliseconds(ms))
                case "@allow-errors":
                    allowErrors = true
                case "@paste":
                    guard let count = Int(argument), (1...Self.maximumPasteLines).contains(count) else {
                        throw Failure(file: name, line: number, message: "@paste needs the number of lines that follow, 1–\(Self.maximumPasteLines) (got '\(argument)')")
                    }
                    guard index + count < allLines.count else {
                        throw Failure(file: name, line: number, message: "@paste \(count): the file ends after \(allLines.count - index - 1) lines")
                    }
                    let message = allLines[(index + 1)...(index + count)].joined(separator: "\n")
                    pasteUntil = index + count
                    last = await session.run(message + (count == 1 ? "\n" : ""))
                    lastLine = number
                    report.commands += 1
                    echo?("> (pasted \(count) line\(count == 1 ? "" : "s"))")
                    for out in last.lines { echo?(out.text) }
                    flushEvents()
                    if last.failed { unexcused = (number, last.text, "@paste \(count)") }
                case "@datum-sandbox":
                    guard !argument.isEmpty else { throw Failure(file: name, line: number, message: "@datum-sandbox needs a folder of datums, e.g. @datum-sandbox mutate") }
                    sandbox?.remove()
                    let base = (name as NSString).deletingLastPathComponent
                    let source = argument.hasPrefix("/") || base.isEmpty ? argument : base + "/" + argument
                    do { sandbox = try ReplayDatumSandbox(copying: source) } catch {
                        throw Failure(file: name, line: number, message: "\(error)")
                    }
                    if let sandbox { await session.useDatumFolder(sandbox.folder) }
                case "@expect" where lastLine == 0, "@expect-error" where lastLine == 0:
                    throw Failure(file: name, line: number, message: "\(directive) checks the command on the line before it; put a command first")
                case "@expect":
                    report.expectations += 1
                    if last.failed {
                        throw Failure(file: name, line: number, message: "expected line \(lastLine) to succeed\(argument.isEmpty ? "" : " with '\(argument)'"), but it failed: \(last.text)")
                    }
                    // A bare @expect means "succeeded" (and "".contains("") is false in Swift, so say it outright).
                    guard argument.isEmpty || last.text.contains(argument) else {
                        throw Failure(file: name, line: number, message: "expected output containing '\(argument)', got: \(last.text.isEmpty ? "(nothing)" : last.text)")
                    }
                case "@expect-error":
                    report.expectations += 1
                    unexcused = nil
                    guard last.failed else {
                        throw Failure(file: name, line: number, message: "expected line \(lastLine) to fail\(argument.isEmpty ? "" : " with '\(argument)'"), but it succeeded: \(last.text)")
                    }
                    guard argument.isEmpty || last.text.contains(argument) else {
                        throw Failure(file: name, line: number, message: "expected an error containing '\(argument)', got: \(last.text)")
                    }
                case "@await":
                    report.expectations += 1
                    let (text, timeout) = try Self.awaitArguments(argument, file: name, line: number)
                    guard await feed.waitFor(text, timeout: .milliseconds(timeout)) else {
                        flushEvents()
                        throw Failure(file: name, line: number, message: "no event containing '\(text)' within \(timeout) ms")
                    }
                    flushEvents()
                default:
                    let hint = closestMatch(to: directive, in: Self.directives).map { " — did you mean \($0)?" } ?? ""
                    throw Failure(file: name, line: number, message: "unknown directive \(directive)\(hint)")
                }
                continue
            }
            try checkUnexcused()
            last = await session.run(line)
            lastLine = number
            report.commands += 1
            echo?("> \(line)")
            for out in last.lines { echo?(out.text) }
            if verbose, echo != nil {
                // The events this command caused are printed under it, not under the next one.
                await feed.waitUntilSeen((try? await session.bus.currentState().lastSeq) ?? 0, timeout: .seconds(2))
            }
            flushEvents()
            if last.failed { unexcused = (number, last.text, line) }
            if last.quit { break }
        }
        try checkUnexcused()
        return report
    }

    /// `TEXT [TIMEOUT_MS]`: a trailing whole number is the timeout.
    static func awaitArguments(_ argument: String, file: String, line: Int) throws(Failure) -> (String, Int) {
        var text = argument
        var timeout = defaultAwaitMilliseconds
        if let space = argument.lastIndex(of: " "), argument[argument.index(after: space)...].allSatisfy(\.isNumber),
           argument.index(after: space) < argument.endIndex {
            let ms = Int(argument[argument.index(after: space)...]) ?? Int.max
            guard (1...maximumAwaitMilliseconds).contains(ms) else {
                throw Failure(file: file, line: line, message: "@await timeout must be 1–\(maximumAwaitMilliseconds) ms (got \(argument[argument.index(after: space)...]))")
            }
            timeout = ms
            text = argument[..<space].trimmingCharacters(in: .whitespaces)
        }
        guard !text.isEmpty else { throw Failure(file: file, line: line, message: "@await needs the text of the event to wait for, e.g. @await applies to ahoy-3") }
        return (text, timeout)
    }

    static func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(of: " ") else { return (line, "") }
        return (String(line[..<space]), line[line.index(after: space)...].trimmingCharacters(in: .whitespaces))
    }
}

/// The bus events a replay has seen, for `@await` and `-v`. Each `@await` consumes the one event it matched
/// (agents answer in any order, so earlier unmatched events stay available to later `@await`s).
final class EventFeed: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    /// The newest event's seq that arrived.
    private var lastSeen: UInt64 = 0
    /// Lines an `@await` already matched.
    private var consumed = Set<Int>()
    private var shown = 0
    private var waiter: CheckedContinuation<Void, Never>?
    private var task: Task<Void, Never>?

    init(bus: any CrewBus, after seq: UInt64) {
        task = Task { [weak self] in
            do {
                for try await event in bus.follow(after: seq) { self?.add(BusEventFormatter.line(event), seq: event.seq) }
            } catch {}
        }
    }

    private func add(_ line: String, seq: UInt64) {
        let w = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            lines.append(line)
            lastSeen = max(lastSeen, seq)
            defer { waiter = nil }
            return waiter
        }
        w?.resume()
    }

    /// Lines not yet printed by `-v`.
    func takeUnshown() -> [String] {
        lock.withLock {
            defer { shown = lines.count }
            return Array(lines[shown...])
        }
    }

    /// True once an unconsumed line contains `text` (it is consumed); false after `timeout`.
    func waitFor(_ text: String, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            let found = lock.withLock { () -> Bool in
                guard let index = lines.indices.first(where: { !consumed.contains($0) && lines[$0].contains(text) }) else { return false }
                consumed.insert(index)
                return true
            }
            if found { return true }
            if ContinuousClock.now >= deadline { return false }
            let timer = Task { [weak self] in
                try? await Task.sleep(for: min(.milliseconds(100), deadline - ContinuousClock.now))
                self?.wake()
            }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = lock.withLock { () -> Bool in
                    if waiter != nil { return true }  // only one waiter at a time (a replay is sequential)
                    waiter = c
                    return false
                }
                if ready { c.resume() }
            }
            timer.cancel()
        }
    }

    private func wake() {
        let w = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { waiter = nil }
            return waiter
        }
        w?.resume()
    }

    /// Waits (polling, bounded) until the event with `seq` has arrived.
    func waitUntilSeen(_ seq: UInt64, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while lock.withLock({ lastSeen }) < seq, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    func stop() { task?.cancel() }
}
