import Foundation

/// Docker or Podman through their CLI (argv arrays, never a shell). Containers are named `b00t-NAME` and
/// labelled `b00t.datum=NAME` so `ps` and `stop` find exactly what b00t started.
public struct ContainerRuntime: ServiceRuntime {
    public let name: String
    /// The CLI to call: `docker` or `podman`.
    public let engine: String

    public init(engine: String) {
        self.engine = engine
        self.name = engine
    }

    public static func containerName(_ datum: Datum) -> String { "b00t-\(datum.name)" }

    /// `docker run` argv for a service: detached, named, labelled, ports, env, limits, restart policy, then
    /// the datum's own `docker_args`, then the image.
    public func runArguments(_ service: ResolvedService) throws -> [String] {
        guard let image = service.datum.dockerImage, !image.isEmpty else {
            throw OrchestratorError.invalidDatum(service.id, "a \(engine) datum needs docker_image = \"repo/image:tag\"")
        }
        let datum = service.datum
        var argv = [engine, "run", "-d", "--name", Self.containerName(datum), "--label", "b00t.datum=\(datum.name)",
                    "--label", "b00t.id=\(datum.id)"]
        for port in service.ports {
            argv += ["-p", (port.hostIP.map { "\($0):" } ?? "") + "\(port.hostPort):\(port.containerPort)"]
        }
        for key in datum.env.keys.sorted() {
            argv += ["-e", "\(key)=\(service.environment[key] ?? datum.env[key]!)"]
        }
        if let resources = datum.resources {
            if let memory = resources.memoryLimit { argv += ["-m", memory] }
            if let cpus = resources.cpuLimit { argv += ["--cpus", String(cpus)] }
            if let policy = resources.restartPolicy { argv += ["--restart", policy.rawValue] }
        }
        argv += datum.dockerArgs.map { EnvExpansion.expand($0, environment: service.environment) }
        argv.append(image)
        return argv
    }

    public func inspectArguments(_ service: ResolvedService) -> [String] {
        [engine, "inspect", "--format",
         "{{.State.Status}}|{{.State.StartedAt}}|{{.Id}}|{{.RestartCount}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}",
         Self.containerName(service.datum)]
    }

    /// Parses `inspect --format` output into a status (pure, so it is unit-tested without an engine).
    public func parseInspect(_ output: String, service: ResolvedService) -> ServiceStatus {
        var status = ServiceStatus(id: service.id, runtime: name, state: .unknown, ports: service.portText)
        let fields = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "|", omittingEmptySubsequences: false)
            .map(String.init)
        guard fields.count >= 4 else {
            status.detail = "unexpected inspect output '\(output.prefix(80))'"
            return status
        }
        status.container = String(fields[2].prefix(12))
        status.restarts = Int(fields[3]) ?? 0
        if fields.count > 4, !fields[4].isEmpty { status.health = fields[4] }
        switch fields[0] {
        case "running":
            status.state = .running
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            status.startedAt = formatter.date(from: fields[1]) ?? ISO8601DateFormatter().date(from: fields[1])
        case "created", "restarting": status.state = .running
        case "exited", "dead", "removing", "paused":
            status.state = .crashed
            status.detail = "container \(Self.containerName(service.datum)) is \(fields[0])"
        default: status.detail = "container state '\(fields[0])'"
        }
        return status
    }

    /// Asking the engine is a subprocess: only every tenth probe while waiting for health.
    public var aliveCheckEvery: Int { 10 }

    public func checkAvailable() throws { try requireEngine() }

    /// How long `status` waits for the engine to answer one inspect. A status is a question, not an action:
    /// `ps` and k0mmand3r's services pane ask for every container datum, one after another, and with the
    /// default minute each, an engine whose daemon hung kept `b00t ps` waiting for four minutes.
    static let statusTimeout: Duration = .seconds(3)

    public func status(of service: ResolvedService) -> ServiceStatus {
        if let silent = EngineSilence.shared.reason(engine) {
            return ServiceStatus(id: service.id, runtime: name, state: .unknown, ports: service.portText, detail: silent)
        }
        let output: CommandRunner.Output
        do {
            output = try CommandRunner.run(inspectArguments(service), timeout: Self.statusTimeout)
        } catch let timeout as CommandTimeout {
            let reason = "\(engine) did not answer within \(timeout.timeout.components.seconds) s (is its daemon hung? `\(engine) info` tells); not asked again for \(EngineSilence.pause.components.seconds) s"
            EngineSilence.shared.note(engine, reason)
            return ServiceStatus(id: service.id, runtime: name, state: .unknown, ports: service.portText, detail: reason)
        } catch {
            return ServiceStatus(id: service.id, runtime: name, state: .unknown, ports: service.portText,
                                 detail: "\(engine) CLI not found")
        }
        if output.status != 0 {
            let text = output.stderr.lowercased()
            if text.contains("no such") || text.contains("not found") || text.contains("no container") {
                return ServiceStatus(id: service.id, runtime: name, state: .stopped, ports: service.portText)
            }
            return ServiceStatus(id: service.id, runtime: name, state: .unknown, ports: service.portText,
                                 detail: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return parseInspect(output.stdout, service: service)
    }

    public func start(_ service: ResolvedService, restarts: Int) throws -> ServiceStatus {
        try requireEngine()
        _ = try? CommandRunner.run([engine, "rm", "-f", Self.containerName(service.datum)])
        // `run` may pull the image first: a long but bounded wait.
        let output = try CommandRunner.run(try runArguments(service), timeout: .seconds(900))
        guard output.status == 0 else {
            throw OrchestratorError.startFailed(service.id, "\(engine) run exited \(output.status)",
                                                logTail: output.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        var status = ServiceStatus(id: service.id, runtime: name, state: .running,
                                   container: String(output.stdout.prefix(12)), ports: service.portText,
                                   startedAt: Date(), restarts: restarts)
        status.health = nil
        return status
    }

    public func stop(_ service: ResolvedService, grace: Duration) throws {
        let seconds = max(1, Int(grace.components.seconds))
        _ = try CommandRunner.run([engine, "stop", "-t", String(seconds), Self.containerName(service.datum)],
                                  timeout: .seconds(Int64(seconds) + 60))
        _ = try CommandRunner.run([engine, "rm", "-f", Self.containerName(service.datum)])
    }

    public func logTail(_ service: ResolvedService, lines: Int) -> String {
        guard let output = try? CommandRunner.run([engine, "logs", "--tail", String(lines), Self.containerName(service.datum)])
        else { return "" }
        return (output.stdout + output.stderr).trimmingCharacters(in: .newlines)
    }

    public func followLogsCommand(_ service: ResolvedService) -> [String] {
        [engine, "logs", "-f", "--tail", "50", Self.containerName(service.datum)]
    }

    /// Fails with a clear message when the engine cannot run containers (no daemon, broken cgroups).
    public func requireEngine() throws {
        let output = try? CommandRunner.run([engine, "info"])
        guard let output, output.status == 0 else {
            let reason = output.map { $0.stderr.split(separator: "\n").first.map(String.init) ?? "exit \($0.status)" }
                ?? "\(engine) not installed"
            throw OrchestratorError.engineUnavailable(engine, reason)
        }
    }
}

/// Engines that just failed to answer a status question in time: for a short while every status of theirs is
/// "unknown" at once, instead of each container datum waiting out its own timeout (process-wide, as `ps`
/// asks through several runtime values).
final class EngineSilence: @unchecked Sendable {
    static let shared = EngineSilence()
    static let pause: Duration = .seconds(30)
    private let lock = NSLock()
    private var silent: [String: (until: ContinuousClock.Instant, reason: String)] = [:]

    func note(_ engine: String, _ reason: String) {
        lock.withLock { silent[engine] = (.now + Self.pause, reason) }
    }

    func reason(_ engine: String) -> String? {
        lock.withLock {
            guard let entry = silent[engine] else { return nil }
            if entry.until < .now {
                silent[engine] = nil
                return nil
            }
            return entry.reason
        }
    }
}
