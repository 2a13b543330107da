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
        default:
            throw ReplError.failed("internal: \(command) is not a service command")
        }
        return out
    }
}
