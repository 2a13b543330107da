import Foundation

/// Every `NAME.agent` datum can run as a service: `agent-NAME.process` runs `b00t agent run --datum NAME.agent`
/// in its own process group, through the orchestrator like any daemon (pid file, log, `ps`, `stop`, `logs`).
/// Generated, not shipped: k0mmand3r's `/agent start NAME` and `b00t up agent-NAME.process` use the same one.
public enum AgentServiceDatums {
    /// `agent-` + the agent's name.
    public static let prefix = "agent-"

    /// The service that runs agent `name`.
    public static func serviceID(forAgent name: String) -> String { "\(prefix)\(name).process" }

    /// The agent a generated service runs, or nil for any other datum id.
    public static func agent(ofService id: String) -> String? {
        guard id.hasPrefix(prefix), id.hasSuffix(".process") else { return nil }
        let name = String(id.dropFirst(prefix.count).dropLast(".process".count))
        return name.isEmpty ? nil : name
    }

    /// The environment variable the agent's `--bus` comes from (default `socket`, the daemon): a k0mmand3r on
    /// `sqlite:PATH` or Redis starts its agents on the same bus.
    public static let busVariable = "B00T_AGENT_BUS"

    /// The process datum for an agent datum; nil when the agent's name cannot be an agent id.
    public static func service(for agent: Datum) -> Datum? {
        guard agent.type == .agent, (try? BusState.checkName(agent.name, what: "agent")) != nil else { return nil }
        var args = ["agent", "run", "--datum", agent.id, "--bus", "${\(busVariable):-socket}"]
        // The agent process reads the datum from the folder it came from, wherever it is started.
        if let source = agent.source, source.hasPrefix("/") {
            args += ["--path", (source as NSString).deletingLastPathComponent]
        }
        return Datum(name: prefix + agent.name, type: .process,
                     hint: "Agent \(agent.name) on the crew bus (b00t agent run --datum \(agent.id))", category: "agent",
                     command: "${B00T_BIN:-b00t}", args: args,
                     resources: Resources(restartPolicy: .onFailure), source: "<generated for \(agent.id)>")
    }
}
