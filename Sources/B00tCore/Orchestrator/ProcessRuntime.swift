#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Native daemons started from a datum's argv: own session and process group (so they outlive the caller and
/// stop as a group), output to `<state>/logs/<id>.log`, a record in `<state>/services/<id>.json`.
public struct ProcessRuntime: ServiceRuntime {
    public let name = "process"
    public let paths: B00tPaths

    public init(paths: B00tPaths) { self.paths = paths }

    func recordPath(_ id: String) -> String { "\(paths.stateDirectory)/services/\(id).json" }
    public func logPath(_ id: String) -> String { "\(paths.stateDirectory)/logs/\(id).log" }

    public func status(of service: ResolvedService) -> ServiceStatus {
        var status = ServiceStatus(id: service.id, runtime: name, state: .stopped, ports: service.portText)
        guard let record = ServiceRecord.read(from: recordPath(service.id)) else { return status }
        status.restarts = record.restarts
        guard let stat = ProcFS.stat(record.pid), stat.startTicks == record.startTicks,
              ProcFS.isAlive(record.pid)
        else {
            status.state = .crashed
            status.detail = "pid \(record.pid) (started \(ISO8601DateFormatter().string(from: record.startedAt))) is gone"
            return status
        }
        status.state = .running
        status.pid = record.pid
        status.startedAt = record.startedAt
        return status
    }

    public func start(_ service: ResolvedService, restarts: Int) throws -> ServiceStatus {
        guard !service.argv.isEmpty else {
            throw OrchestratorError.invalidDatum(service.id, "a process datum needs command = \"program\" (and args = [...])")
        }
        try B00tPaths.ensurePrivateDirectory(paths.stateDirectory + "/services")
        try B00tPaths.ensurePrivateDirectory(paths.stateDirectory + "/logs")
        let log = logPath(service.id)
        let banner = "---- b00t: starting \(service.id) at \(ISO8601DateFormatter().string(from: Date())): \(service.argv.joined(separator: " "))\n"
        appendLine(banner, to: log)
        let pid: pid_t
        do {
            pid = try Spawn.start(service.argv, options: .init(
                newSession: true, outputPath: log, workingDirectory: service.workingDirectory,
                environment: service.environment))
        } catch {
            throw OrchestratorError.startFailed(service.id, "\(error)", logTail: "")
        }
        guard let stat = ProcFS.stat(pid) else {
            throw OrchestratorError.startFailed(service.id, "exited immediately", logTail: logTail(service, lines: 20))
        }
        let record = ServiceRecord(id: service.id, pid: pid, startTicks: stat.startTicks, startedAt: Date(),
                                   argv: service.argv, restarts: restarts)
        try record.write(to: recordPath(service.id))
        return ServiceStatus(id: service.id, runtime: name, state: .running, pid: pid, ports: service.portText,
                             startedAt: record.startedAt, restarts: restarts)
    }

    public func stop(_ service: ResolvedService, grace: Duration) throws {
        let path = recordPath(service.id)
        defer { unlink(path) }
        guard let record = ServiceRecord.read(from: path), let stat = ProcFS.stat(record.pid),
              stat.startTicks == record.startTicks, ProcFS.isAlive(record.pid)
        else { return }
        // The daemon leads its own process group (setsid): signal the group so its children stop too.
        kill(-record.pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        var delay: UInt32 = 1_000
        while ProcFS.isAlive(record.pid) {
            if ContinuousClock.now >= deadline {
                kill(-record.pid, SIGKILL)
                kill(record.pid, SIGKILL)
                while ProcFS.isAlive(record.pid) { usleep(1_000) }
                break
            }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
        appendLine("---- b00t: stopped \(service.id) at \(ISO8601DateFormatter().string(from: Date()))\n", to: logPath(service.id))
    }

    public func logTail(_ service: ResolvedService, lines: Int) -> String {
        guard let data = FileManager.default.contents(atPath: logPath(service.id)) else { return "" }
        let text = String(decoding: data.suffix(64 * 1024), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines + 1)
            .joined(separator: "\n").trimmingCharacters(in: .newlines)
    }

    public func followLogsCommand(_ service: ResolvedService) -> [String] {
        ["tail", "-n", "50", "-F", logPath(service.id)]
    }

    private func appendLine(_ line: String, to path: String) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
    }
}
