/// A runnable datum with `${VAR}` references expanded against the environment: exactly what a runtime
/// starts and probes. Built fresh for each command so a changed environment takes effect.
public struct ResolvedService: Sendable, Hashable {
    public var datum: Datum
    public var argv: [String]
    public var environment: [String: String]
    public var ports: [PortSpec]
    public var health: HealthCheck?
    public var workingDirectory: String?

    public var id: String { datum.id }
    public var restartPolicy: RestartPolicy { datum.resources?.restartPolicy ?? .onFailure }
    public var logLimit: LogLimit {
        LogLimit(maxBytes: datum.resources?.logMaxBytes ?? Resources.defaultLogMaxBytes,
                 keep: datum.resources?.logKeep ?? Resources.defaultLogKeep)
    }

    public init(_ datum: Datum, environment base: [String: String]) {
        self.datum = datum
        var env = base
        // A service's log format and level are its datum's choice ([b00t.env]), not whoever happened to start it:
        // otherwise one log file mixes logfmt and JSON depending on which agent restarted the daemon.
        for key in ["B00T_LOG_FORMAT", "B00T_LOG_LEVEL"] { env[key] = nil }
        for (key, value) in datum.env { env[key] = EnvExpansion.expand(value, environment: base) }
        // Only the datum that asks for it gets a listen address: inherited, every service would race for the port.
        env["B00T_METRICS_LISTEN"] = datum.metrics
        self.environment = env
        let expand = { (text: String) in EnvExpansion.expand(text, environment: env) }
        argv = datum.command.map { [expand($0)] + datum.args.map(expand) } ?? []
        ports = datum.ports.compactMap { PortSpec(expand($0)) }
        workingDirectory = datum.workingDir.map(expand)
        if var health = datum.healthCheck {
            health.httpURL = health.httpURL.map(expand)
            health.tcp = health.tcp.map(expand)
            health.unix = health.unix.map(expand)
            health.exec = health.exec?.map(expand)
            self.health = health
        } else if let first = ports.first {
            // No health check but a port: "accepts connections" is the useful default.
            self.health = HealthCheck(tcp: "\(first.hostIP ?? "127.0.0.1"):\(first.hostPort)", intervalMs: 50)
        }
    }

    /// Ports as `ps` shows them.
    public var portText: String {
        ports.map { $0.hostPort == $0.containerPort ? "\($0.hostPort)" : "\($0.hostPort)→\($0.containerPort)" }
            .joined(separator: ",")
    }
}
