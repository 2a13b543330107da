import B00tCore
import Foundation

/// A person (or a replay file) at the REPL: who they speak as, their crew, and the bus and services they
/// steer. Runs one line at a time and answers with output lines; errors are answers, never crashes.
public actor Session {
    public private(set) var agent: String
    public private(set) var crew: String?
    public nonisolated let bus: any CrewBus
    public private(set) var theme: String
    /// A person is at the keyboard (TUI, line mode): risky commands (stopping the bus daemon under connected
    /// agents) ask first, and on a bus no daemon hosts the session says itself when it comes and goes. Replay
    /// files and pipes have nobody to ask, and write nothing but their commands (so their ids are reproducible).
    public let interactive: Bool
    var confirmations: Bool { interactive }
    /// Presence on a bus nobody hosts (embedded SQLite, memory, Redis) for interactive sessions.
    let heartbeat: PresenceHeartbeat?
    /// Where datums come from (a replay's `@datum-sandbox` points it at a scratch copy).
    let datumSource: SwitchableCatalog
    nonisolated var catalog: @Sendable () -> DatumCatalog { { [datumSource] in datumSource.current() } }
    /// Applies datum mutations whose vote passed, as this session's agent (Session+MutationCommands.swift).
    let mutationApplier: MutationApplier
    var mutationWatcher: Task<Void, Never>?
    let orchestrator: @Sendable () -> Orchestrator
    private var recording: (path: String, agent: String, lines: [String])?
    /// The crew each identity last talked to, so `/as` back and forth keeps it.
    private var crews: [String: String?] = [:]

    public init(bus: any CrewBus, agent: String, theme: String = "default", interactive: Bool = false,
                catalog: @escaping @Sendable () -> DatumCatalog = { CatalogSource.standard.catalog() },
                orchestrator: (@Sendable () -> Orchestrator)? = nil) {
        self.bus = bus
        self.agent = agent
        self.theme = theme
        self.interactive = interactive
        self.heartbeat = interactive ? PresenceHeartbeat(bus: bus) : nil
        let source = SwitchableCatalog(catalog)
        self.datumSource = source
        self.mutationApplier = MutationApplier(bus: bus, catalog: { source.current() })
        self.orchestrator = orchestrator ?? { Orchestrator(catalog: source.current()) }
    }

    /// Registers the session's agent — from its `NAME.agent` datum when there is one (role, skills, personality),
    /// else as a human crew member if the bus does not know it yet — and (on a bus without a daemon to keep
    /// presence) says it is online.
    public func start(role: String? = nil) async throws {
        try await heartbeat?.claim(agent)
        let known = try await bus.currentState().agents[agent]
        var profile = known ?? BusAgent(id: agent, role: "human")
        if let datum = agentDatum(agent), let fromDatum = try? BusAgent(datum: datum) {
            // The datum's role and personality; its skills where they are higher (what the crew taught stays).
            profile.role = fromDatum.role
            profile.personality = fromDatum.personality
            profile.skills.merge(fromDatum.skills) { current, datum in max(current, datum) }
        }
        if let role { profile.role = role }
        if profile != known { try await bus.submit(.register(agent: profile)) }
        startMutationWatcher()
    }

    /// The agent datum `NAME.agent` on the search path, if any.
    func agentDatum(_ name: String) -> Datum? { catalog().datums["\(name).agent"] }

    /// `rust 0.90, swift 0.80` (highest first), or "no skills".
    static func skillList(_ skills: [String: Double]) -> String {
        guard !skills.isEmpty else { return "no skills" }
        return skills.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { "\($0.key) \(String(format: "%.2f", $0.value))" }.joined(separator: ", ")
    }

    deinit { mutationWatcher?.cancel() }

    /// Leaving: a recording in progress is saved (returns what was said about it) and presence is cleared.
    public func finish() async -> [StyledText] {
        var lines: [StyledText] = []
        if recording != nil {
            do { lines.append(.ok(try toggleRecording(nil))) } catch { lines.append(.error("error: recording not saved: \(error)")) }
        }
        mutationWatcher?.cancel()
        await heartbeat?.stop(reason: "left k0mmand3r")
        return lines
    }

    public nonisolated var busLabel: String { bus.label }

    /// The REPL's own identity when none is given: `$B00T_AGENT`, else the login name (cleaned to an agent id).
    public static func defaultAgent(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let raw = environment["B00T_AGENT"] ?? environment["USER"] ?? "human"
        let cleaned = String(raw.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }.prefix(64))
        return cleaned.isEmpty ? "human" : cleaned
    }

    /// Runs one line (a /command or chat text).
    public func run(_ line: String) async -> CommandOutcome {
        let command: ReplCommand?
        do {
            command = try ReplCommand.parse(line)
        } catch {
            return .error(error.description)
        }
        guard let command else { return CommandOutcome() }
        if var recording, !(line.hasPrefix("/record")) {
            // A pasted block is one message: recorded behind `@paste N`, so replaying it never runs its lines.
            let block = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if block.contains("\n") {
                let lines = block.split(separator: "\n", omittingEmptySubsequences: false)
                recording.lines.append("@paste \(lines.count)\n" + lines.joined(separator: "\n"))
            } else {
                recording.lines.append(line)
            }
            self.recording = recording
        }
        do {
            return try await execute(command)
        } catch let error as BusError {
            return .error(error.description)
        } catch let error as ReplError {
            return .error(error.description)
        } catch let error as OrchestratorError {
            return .error(error.description)
        } catch let error as DatumLookupError {
            return .error(error.description)
        } catch let error as DatumQueryError {
            return .error("query: \(error.description)")
        } catch let error as BusClientError {
            return .error(error.description)
        } catch is CancellationError {
            return .error("cancelled")
        } catch {
            return .error("\(error)")
        }
    }

    /// Speaks as `id` from now on. On the socket the connection is re-bound (the old identity is released, so
    /// any sequence of `/as` works); elsewhere the old identity goes offline and the new one online.
    func setAgent(_ id: String, role: String? = nil) async throws {
        guard id != agent else { return try await start(role: role) }
        // Checked before anything changes: a refused switch leaves the session as it was.
        try BusState.checkName(id, what: "agent id")
        if let remote = bus as? RemoteBus {
            try await remote.rebind(as: id)
        } else if let heartbeat {
            try await heartbeat.claim(id)
            await heartbeat.release(agent, reason: "switched to \(id)")
        }
        // Each identity keeps its own crew: switching back finds it again.
        crews[agent] = crew
        let previous = agent
        agent = id
        crew = crews[id] ?? nil
        let state = try await bus.currentState()
        if let current = crew, state.crews[current]?.members.contains(id) != true { crew = nil }
        // An identity in exactly one crew talks to it (others formed it, or it joined from elsewhere).
        if crew == nil {
            let mine = state.crews.values.filter { $0.members.contains(id) }
            if mine.count == 1 { crew = mine[0].name }
        }
        do {
            try await start(role: role)
        } catch {
            agent = previous
            crew = crews[previous] ?? nil
            throw error
        }
    }

    func setCrew(_ name: String?) { crew = name }
    func setTheme(_ name: String) { theme = name }

    /// `/record FILE` starts recording, `/record` again saves. The file is checked when recording starts (its
    /// folder must exist; an existing file is kept unless `--force`), so saving rarely fails — and when it does,
    /// recording stops with the reason rather than sticking in "● rec".
    func toggleRecording(_ path: String?, force: Bool = false) throws -> String {
        if let recording {
            self.recording = nil
            let text = "# recorded by k0mmand3r\n@as \(recording.agent)\n" + recording.lines.joined(separator: "\n") + "\n"
            do {
                try PrivateFile.writeAtomically(Data(text.utf8), to: recording.path)
            } catch {
                throw ReplError.failed("recording not saved to \(recording.path): \(Self.readable(error)); \(recording.lines.count) commands lost")
            }
            return "saved \(recording.lines.count) commands to \(recording.path)"
        }
        guard let path, !path.isEmpty else { throw ReplError.usage("usage: /record FILE [--force] (run /record again to stop)") }
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReplError.failed("cannot record to \(path): no folder \(folder)")
        }
        guard FileManager.default.isWritableFile(atPath: folder) else { throw ReplError.failed("cannot record to \(path): \(folder) is not writable") }
        if FileManager.default.fileExists(atPath: path) && !force {
            throw ReplError.failed("\(path) exists; /record \(path) --force replaces it")
        }
        recording = (path, agent, [])
        return "recording to \(path); /record again to stop"
    }

    static func readable(_ error: Error) -> String {
        if let error = error as? CocoaError, let underlying = error.underlying as? POSIXError { return String(cString: strerror(underlying.code.rawValue)) }
        if let error = error as? POSIXError { return String(cString: strerror(error.code.rawValue)) }
        return "\(error)"
    }

    public var isRecording: Bool { recording != nil }

    /// Who the session is right now, for status bars (one hop instead of four).
    public var info: SessionInfo { SessionInfo(agent: agent, crew: crew, theme: theme, recording: recording != nil) }
}

/// A snapshot of the session's identity and settings.
public struct SessionInfo: Sendable, Equatable {
    public var agent: String
    public var crew: String?
    public var theme: String
    public var recording: Bool
}
