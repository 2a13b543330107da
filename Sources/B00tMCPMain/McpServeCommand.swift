import ArgumentParser
import B00tCLI
import B00tCore
import B00tMCP
import Foundation
import MCP

/// `b00t mcp serve --as AGENT`: an MCP server on stdin/stdout that is AGENT on the crew bus. It connects
/// exactly as `b00t agent run` does (the daemon, started by the orchestrator when needed, or any `--bus`),
/// registers AGENT, and speaks only as AGENT. stdout carries MCP and nothing else; notes go to stderr.
/// It ends when the client closes stdin, or on SIGTERM/SIGINT.
struct McpServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: McpForward.abstracts["serve"] ?? "")
    @OptionGroup var datums: DatumOptions
    @Option(name: .customLong("as"), help: "The agent to be (default: the --datum's name, else $B00T_AGENT).") var agent: String?
    @Option(help: "An agent datum (alpha or alpha.agent) for role, skills and personality.") var datum: String?
    @Option(help: "Role (default: the datum's, else 'assistant').") var role: String?
    @Option(help: "Skills as name:proficiency pairs, comma-separated (rust:0.9,testing:0.7).") var skills: String?
    @Flag(help: "Let the bus accept handshakes for this agent (default: the assistant answers them with the handshake tool).")
    var autoAcceptHandshakes = false
    @Option(help: "The bus: socket (the daemon, default), sqlite[:PATH], memory or redis://host:port/db (also $B00T_BUS_URL).") var bus: String?
    @Option(help: ArgumentHelp("stdio implementation: b00t (blocking reads, the default) or sdk (the SDK's StdioTransport; for the bench).", visibility: .hidden))
    var stdio = "b00t"

    @OptionGroup var metrics: MetricsOptions

    func run() async throws {
        // Logs go to stderr (stdout is the MCP stream).
        do { try B00tLog.start() } catch { throw ValidationError(error.description) }
        let listen = try metrics.address()
        if listen != nil { B00tMetrics.enable() }
        var profile = BusAgent(id: "", role: "assistant")
        do {
            if let datum {
                profile = try BusAgent(datum: try datums.loadCatalog().lookup(datum))
            }
            if let agent { profile.id = agent }
            if profile.id.isEmpty, let fromEnv = ProcessInfo.processInfo.environment["B00T_AGENT"], !fromEnv.isEmpty { profile.id = fromEnv }
            if let skills { profile.skills.merge(try SkillsOption.parse(skills)) { _, new in new } }
            if let role { profile.role = role }
        } catch let error as BusError {
            throw CLIError(error.description)
        } catch let error as DatumLookupError {
            throw CLIError(error.description)
        }
        guard !profile.id.isEmpty else { throw ValidationError("give --as AGENT (or --datum, or set $B00T_AGENT)") }
        profile.autoAcceptHandshakes = autoAcceptHandshakes
        guard stdio == "b00t" || stdio == "sdk" else { throw ValidationError("--stdio must be b00t or sdk") }

        let logger = { var made = B00tLog.logger("mcp"); made[metadataKey: "agent"] = .string(profile.id); return made }()
        let note: @Sendable (String) -> Void = { [logger] line in logger.info("\(line)") }
        let crewBus = try await connectBus(agent: profile.id, url: bus)
        let metricsEndpoint = try await metrics.serve(at: listen, logger: logger)
        // On a direct backend nobody hosts our connection: a presence lease says we are here (and refuses a second
        // process with our id); on the socket the daemon does it.
        let heartbeat = PresenceHeartbeat(bus: crewBus)
        do {
            try await heartbeat?.claim(profile.id)
            try await crewBus.submit(.register(agent: profile))
        } catch let error as BusError {
            throw CLIError("cannot register \(profile.id): \(error.description)")
        }
        if let remote = crewBus as? RemoteBus {
            await remote.observeConnection { connection in
                switch connection {
                case .reconnecting: note("bus connection lost; reconnecting…")
                case .connected: note("reconnected to the bus")
                case .daemonStopped, .closed: break
                }
            }
        }

        let context = MCPToolContext(agent: profile.id, bus: crewBus, searchPath: datums.searchPath)
        let server = CrewMCPServer(context: context)
        let transport: any Transport = stdio == "sdk" ? StdioTransport() : LineTransport()
        try await server.start(transport: transport)
        note("serving \(profile.id) on \(crewBus.label)")

        // Whichever comes first: the client closes stdin, or a signal. (Neither wait ends on cancellation, so
        // they are raced through a one-shot signal rather than a task group, which would wait for both.)
        let stop = SignalWaiter(signals: [SIGTERM, SIGINT])
        let done = EndSignal()
        Task { await server.waitUntilCompleted(); done.fire() }
        Task { await stop.wait(); done.fire() }
        await done.wait()
        await server.stop()
        await heartbeat?.stop(reason: "mcp client closed")
        await metricsEndpoint?.stop()
        if let remote = crewBus as? RemoteBus { await remote.close() }
    }
}
