import ArgumentParser
import B00tCore
import Foundation
import Logging

struct AgentGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent", abstract: "Run autonomous crew agents.", subcommands: [AgentRun.self])
}

struct AgentRun: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Join the bus as an agent: answer handshakes, bid on matching ahoys, vote and teach by policy.")
    @OptionGroup var datums: DatumOptions
    /// `--as` too, as `b00t mcp serve --as` spells it (people reach for either).
    @Option(name: [.customLong("id"), .customLong("as")], help: "Agent id (default: the datum's name); --as is the same.") var id: String?
    @Option(help: "Skills as name:proficiency pairs, comma-separated (rust:0.9,testing:0.7).") var skills: String?
    @Option(help: "An agent datum (alpha or alpha.agent) for role, skills, personality and policy.") var datum: String?
    @Option(help: "Policy TOML file (vote, apply_threshold, accept_handshakes, teach_method, mutations).") var policy: String?
    @Option(help: "Role.") var role: String?
    @Option(help: "The bus: socket (the daemon, default), sqlite[:PATH], memory or redis://host:port/db (also $B00T_BUS_URL).") var bus: String?
    @OptionGroup var metrics: MetricsOptions

    func run() async throws {
        do { try B00tLog.start() } catch { throw ValidationError(error.description) }
        let listen = try metrics.address()
        if listen != nil { B00tMetrics.enable() }
        var profile = BusAgent(id: id ?? "")
        var agentPolicy = AgentPolicy()
        do {
            if let datum {
                let found = try datums.loadCatalog().lookup(datum)
                profile = try BusAgent(datum: found)
                if let fromDatum = try AgentPolicy.from(datum: found) { agentPolicy = fromDatum }
            }
            if let id { profile.id = id }
            if let skills { profile.skills.merge(try SkillsOption.parse(skills)) { _, new in new } }
            if let role { profile.role = role }
            if let policy { agentPolicy = try AgentPolicy.load(file: policy) }
        } catch let error as BusError {
            throw CLIError(error.description)
        } catch let error as DatumLookupError {
            throw CLIError(error.description)
        }
        guard !profile.id.isEmpty else { throw ValidationError("give --id or --datum") }
        do { try BusState.checkName(profile.id, what: "--id") } catch { throw ValidationError(error.description) }

        // Records quote what others said on the bus (pitches, reasons): the log format escapes control characters.
        let logger = { var made = B00tLog.logger("agent"); made[metadataKey: "agent"] = .string(profile.id); return made }()
        let log: @Sendable (String) -> Void = { [logger] line in logger.info("\(line)") }
        let crewBus = try await connectBus(agent: profile.id, url: bus)
        let metricsEndpoint = try await metrics.serve(at: listen, logger: logger)
        if let remote = crewBus as? RemoteBus {
            await remote.observeConnection { connection in
                switch connection {
                case .reconnecting: logger.warning("bus connection lost; reconnecting…", metadata: ["code": "disconnected"])
                case .connected: log("reconnected to the bus; resuming from the last event seen")
                case .closed, .daemonStopped: break
                }
            }
        }
        // Agents also apply datum mutations whose vote passed (those on this machine's search path).
        let runner = AgentRunner(bus: crewBus, profile: profile, policy: agentPolicy,
                                 mutationApplier: mutationApplier(bus: crewBus, options: datums), logger: logger)
        let work = Task { try await runner.run() }
        let stop = SignalWaiter(signals: [SIGTERM, SIGINT])
        let waiter = Task {
            await stop.wait()
            work.cancel()
        }
        do {
            try await work.value
        } catch is CancellationError {
        } catch let error as BusClientError where error == .disconnected {
            log("bus connection closed")
        } catch let error as BusError {
            waiter.cancel()
            await runner.finish(reason: "stopped: \(error.code)")
            await metricsEndpoint?.stop()
            throw CLIError(error.description)
        }
        waiter.cancel()
        await runner.finish()
        if let remote = crewBus as? RemoteBus { await remote.close() }
        await metricsEndpoint?.stop()
        log("stopped")
    }
}
