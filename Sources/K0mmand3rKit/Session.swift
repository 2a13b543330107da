import B00tCore
import Foundation

/// A person (or a replay file) at the REPL: who they speak as, their crew, and the bus and services they
/// steer. Runs one line at a time and answers with output lines; errors are answers, never crashes.
public actor Session {
    public private(set) var agent: String
    public private(set) var crew: String?
    public private(set) var bus: any CrewBus
    public private(set) var theme: String
    let reconnect: (@Sendable (String) async throws -> any CrewBus)?
    let catalog: @Sendable () -> DatumCatalog
    let orchestrator: @Sendable () -> Orchestrator
    private var recording: (path: String, agent: String, lines: [String])?

    /// - Parameters:
    ///   - reconnect: for buses bound to one identity (a socket), how to connect as another agent on `/as`.
    public init(bus: any CrewBus, agent: String, theme: String = "default",
                reconnect: (@Sendable (String) async throws -> any CrewBus)? = nil,
                catalog: @escaping @Sendable () -> DatumCatalog = { BuiltinDatums.adding(to: DatumLoader().load()) },
                orchestrator: (@Sendable () -> Orchestrator)? = nil) {
        self.bus = bus
        self.agent = agent
        self.theme = theme
        self.reconnect = reconnect
        self.catalog = catalog
        self.orchestrator = orchestrator ?? { Orchestrator(catalog: catalog()) }
    }

    /// Registers the session's agent as a human crew member if the bus does not know it yet.
    public func start() async throws {
        if await bus.state.agents[agent] == nil {
            try await bus.submit(.register(agent: BusAgent(id: agent, role: "human")))
        }
    }

    public var busLabel: String { bus.label }

    /// Runs one line (a /command or chat text).
    public func run(_ line: String) async -> CommandOutcome {
        let command: ReplCommand?
        do {
            command = try ReplCommand.parse(line)
        } catch {
            return .error(error.description)
        }
        guard let command else { return CommandOutcome() }
        if var recording, command != .record(nil), !(line.hasPrefix("/record")) {
            recording.lines.append(line)
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
        } catch {
            return .error("\(error)")
        }
    }

    func setAgent(_ id: String) async throws {
        if let reconnect, id != agent {
            bus = try await reconnect(id)
        }
        agent = id
        try await start()
    }

    func setCrew(_ name: String?) { crew = name }
    func setTheme(_ name: String) { theme = name }

    func toggleRecording(_ path: String?) throws -> String {
        if let recording {
            let text = "# recorded by k0mmand3r\n@as \(recording.agent)\n" + recording.lines.joined(separator: "\n") + "\n"
            try text.write(toFile: recording.path, atomically: true, encoding: .utf8)
            self.recording = nil
            return "saved \(recording.lines.count) commands to \(recording.path)"
        }
        guard let path else { throw ReplError.usage("usage: /record FILE (run /record again to stop)") }
        recording = (path, agent, [])
        return "recording to \(path); /record again to stop"
    }

    public var isRecording: Bool { recording != nil }
}
