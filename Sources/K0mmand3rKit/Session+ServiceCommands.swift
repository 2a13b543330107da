import B00tCore
import Foundation

extension Session {
    /// Services and datums: the orchestrator and the catalog. Each command that acts on a service says so (`touched`), so the services pane shows it.
    func runServiceCommand(_ command: ReplCommand) async throws -> CommandOutcome {
        var out = CommandOutcome()
        func say(_ line: StyledText) { out.lines.append(line) }
        let me = agent
        _ = me
        switch command {
        case .up(let name):
            let orchestrator = self.orchestrator()
            let report = try await orchestrator.ensureDependencies(name)
            say(.ok(report.started.isEmpty ? "\(name) is already up" : "started \(report.started.joined(separator: ", "))"))
            out.effects.append(.touched(name))
        case .ps:
            let statuses = try await self.orchestrator().status()
            let rows = statuses.map { s in
                [s.id, s.runtime, s.state.rawValue, s.health ?? "-", s.pid.map(String.init) ?? s.container ?? "-",
                 s.ports.isEmpty ? "-" : s.ports, s.uptime().map(formatUptime) ?? "-"]
            }
            for line in Table(headers: ["NAME", "RUNTIME", "STATE", "HEALTH", "PID", "PORTS", "UPTIME"], rows: rows).render().split(separator: "\n") {
                say(StyledText(String(line)))
            }
            for note in ServiceStatus.notes(statuses) { say(.dim(note)) }
        case .stop(let name, let confirmed):
            if name.hasPrefix("b00t-bus"), !confirmed, let remote = bus as? RemoteBus {
                let others = try await remote.currentState().online.subtracting([me]).sorted()
                if !others.isEmpty {
                    let question = "\(others.count) agent\(others.count == 1 ? " is" : "s are") connected (\(others.prefix(5).joined(separator: ", "))\(others.count > 5 ? ", …" : "")); they will reconnect and start it again. Stop the bus daemon?"
                    if confirmations {
                        out.effects.append(.confirm(Confirmation(question: question, command: "/stop \(name) --yes", shown: "/stop \(name)")))
                        say(.warn(question + " [y/N]"))
                        return out
                    }
                    say(.warn("\(others.count) agent(s) connected; stopping the bus daemon anyway"))
                }
            }
            if name.hasPrefix("b00t-bus"), let remote = bus as? RemoteBus { await remote.holdOffDaemon() }
            let report = try await self.orchestrator().stop(name)
            say(.ok(report.stopped.isEmpty ? "\(name) was not running" : "stopped \(report.stopped.joined(separator: ", "))"))
            out.effects.append(.touched(name))
        case .restart(let name):
            try await self.orchestrator().restart(name)
            say(.ok("restarted \(name)"))
            out.effects.append(.touched(name))
        case .datum(let name):
            let datum = try catalog().lookup(name)
            for line in datum.description.split(separator: "\n", omittingEmptySubsequences: false) { say(StyledText(String(line))) }
        case .query(let expression):
            let found = catalog().query(try DatumQueryParser.parse(expression))
            if found.isEmpty { say(.dim("no datums match")) }
            for d in found { say(StyledText("\(d.id)  \(d.hint)")) }
        case .logs(let name, let lines):
            let (tail, follow) = try await self.orchestrator().logs(name, lines: lines)
            let shown = tail.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let body = shown.last == "" ? Array(shown.dropLast()) : shown
            say(.title("last \(body.count) line\(body.count == 1 ? "" : "s") of \(name)'s log (follow: \(follow.joined(separator: " ")))"))
            if body.isEmpty { say(.dim("(empty)")) }
            for line in body { say(StyledText(line)) }
        case .agentStart(let name):
            return try await startAgentService(name)
        case .agentStop(let name):
            let id = AgentServiceDatums.serviceID(forAgent: name)
            guard catalog().datums[id] != nil else { throw ReplError.failed("no agent datum \(name).agent on the datum path; /query type:agent lists them") }
            let report = try await self.orchestrator().stop(id)
            say(.ok(report.stopped.isEmpty ? "\(id) was not running" : "stopped \(id); \(name) goes offline"))
            out.effects.append(.touched(id))
        default:
            throw ReplError.failed("internal: \(command) is not a service command")
        }
        return out
    }

    /// `/agent start NAME`: `agent-NAME.process` through the orchestrator (on this session's bus), then up to
    /// 10 s for the agent to come online.
    func startAgentService(_ name: String) async throws -> CommandOutcome {
        guard agentDatum(name) != nil else {
            throw ReplError.failed("no agent datum \(name).agent on the datum path; /query type:agent lists them")
        }
        let id = AgentServiceDatums.serviceID(forAgent: name)
        let base = self.orchestrator()
        var environment = base.environment
        let label = bus.label
        if label == "memory" {
            throw ReplError.failed("an agent in another process cannot reach this session's in-memory bus; run k0mmand3r on the daemon (the default) or --bus sqlite")
        } else if label.hasPrefix("sqlite:") || label.hasPrefix("redis://") {
            environment[AgentServiceDatums.busVariable] = label
        }
        let orchestrator = Orchestrator(catalog: base.catalog, paths: base.paths, environment: environment)
        let report = try await orchestrator.ensure([id])
        let pid = try await orchestrator.status([id]).first?.pid.map { " (pid \($0))" } ?? ""
        var out = CommandOutcome(effects: [.touched(id)])
        out.lines.append(.ok(report.started.isEmpty ? "\(id) is already running\(pid)" : "started \(id)\(pid)"))
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await bus.currentState().online.contains(name) {
                out.lines.append(.ok("\(name) is online"))
                return out
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        out.lines.append(.warn("\(name) has not come online within 10 s; /logs \(id) says why"))
        return out
    }
}
