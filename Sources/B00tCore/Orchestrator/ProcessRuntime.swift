#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Native daemons started from a datum's argv: own session and process group (so they outlive the caller and
/// stop as a group), output to `<state>/logs/<id>.log`, a record in `<state>/services/<id>.json`.
///
/// A record is evidence, not an order: before anything is signalled the runtime checks that the recorded pid
/// is above 1, still has the recorded start time and leads its own session and process group (as everything
/// b00t starts does). A record that fails is reported and left alone.
public struct ProcessRuntime: ServiceRuntime {
    public let name = "process"
    public let paths: B00tPaths

    public init(paths: B00tPaths) { self.paths = paths }

    func recordPath(_ id: String) -> String { "\(paths.stateDirectory)/services/\(id).json" }
    public func logPath(_ id: String) -> String { "\(paths.stateDirectory)/logs/\(id).log" }

    /// What a service's record says, once checked against the live system.
    enum Observation {
        case none
        case running(ServiceRecord)
        /// The leader is gone but processes of its group (same session, started after it) still run.
        case leaderExited(ServiceRecord, members: [pid_t])
        case gone(ServiceRecord)
        /// A record b00t will not act on, and why.
        case untrusted(String)
    }

    func observe(_ id: String) -> Observation {
        let path = recordPath(id)
        switch ServiceRecord.read(from: path) {
        case .none:
            return .none
        case .invalid(let why):
            return .untrusted("\(path) cannot be used as a service record (\(why)); nothing was signalled — remove it if no such service runs")
        case .found(let record):
            guard record.pid > 1 else {
                return .untrusted("\(path) names pid \(record.pid), which b00t never starts a service as; nothing was signalled — remove the file")
            }
            if let stat = ProcFS.stat(record.pid) {
                // Same pid, other start time: the service is gone and its pid was reused by someone else.
                guard stat.startTicks == record.startTicks else { return .gone(record) }
                if ProcFS.isAlive(record.pid) {
                    guard stat.processGroup == record.pid, stat.session == record.pid else {
                        return .untrusted("pid \(record.pid) named by \(path) runs but does not lead its own session and process group, so b00t did not start it; nothing was signalled — remove the file if it is stale")
                    }
                    return .running(record)
                }
            }
            let members = ProcFS.groupMembers(group: record.pid, session: record.pid, startedAtOrAfter: record.startTicks)
            return members.isEmpty ? .gone(record) : .leaderExited(record, members: members)
        }
    }

    /// A process record that fails its checks (pid, start time, group) is not acted on.
    public var unknownMeansUntrusted: Bool { true }

    public func status(of service: ResolvedService) -> ServiceStatus {
        var status = ServiceStatus(id: service.id, runtime: name, state: .stopped, ports: service.portText)
        switch observe(service.id) {
        case .none:
            break
        case .untrusted(let why):
            status.state = .unknown
            status.detail = why
        case .running(let record):
            status.state = .running
            status.pid = record.pid
            status.startedAt = record.startedAt
            status.restarts = record.restarts
        case .leaderExited(let record, let members):
            status.state = .leaderExited
            status.restarts = record.restarts
            status.detail = Self.leaderExitedDetail(record, members: members)
        case .gone(let record):
            status.state = .crashed
            status.restarts = record.restarts
            status.detail = "pid \(record.pid) (started \(UTCTimestamp.format(record.startedAt))) is gone"
        }
        return status
    }

    static func leaderExitedDetail(_ record: ServiceRecord, members: [pid_t]) -> String {
        let shown = members.prefix(5).map(String.init).joined(separator: ", ") + (members.count > 5 ? ", …" : "")
        return "its leader, pid \(record.pid), exited but its process group still runs (pid \(shown)): "
            + "the program put itself in the background"
    }

    public func start(_ service: ResolvedService, restarts: Int) throws -> ServiceStatus {
        guard !service.argv.isEmpty else {
            throw OrchestratorError.invalidDatum(service.id, "a process datum needs command = \"program\" (and args = [...])")
        }
        _ = try paths.stateSubdirectory("services")
        _ = try paths.stateSubdirectory("logs")
        let log = logPath(service.id)
        LogRotation.rotateIfOver(log, limit: service.logLimit)
        let banner = "---- b00t: starting \(service.id) at \(UTCTimestamp.format(Date())): \(service.argv.joined(separator: " "))\n"
        if let problem = appendLine(banner, to: log) {
            throw OrchestratorError.startFailed(service.id, "cannot write its log \(log): \(problem)", logTail: "")
        }
        let pid: pid_t
        do {
            pid = try spawnLogged(service, log: log)
        } catch {
            throw OrchestratorError.startFailed(service.id, "\(error)", logTail: "")
        }
        // Whoever started it may live long after it ends (k0mmand3r starting the daemon): no zombie left behind.
        Spawn.reapWhenDone(pid)
        guard let stat = ProcFS.stat(pid) else {
            throw OrchestratorError.startFailed(service.id, "exited immediately", logTail: logTail(service, lines: 20))
        }
        let record = ServiceRecord(id: service.id, pid: pid, startTicks: stat.startTicks, startedAt: Date(),
                                   argv: service.argv, restarts: restarts)
        do {
            try record.write(to: recordPath(service.id))
        } catch {
            // Untracked, nobody could ever stop it: stop it now, then report.
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            throw OrchestratorError.startFailed(
                service.id, "cannot write its record \(recordPath(service.id)) (\(error)); b00t stopped the process again",
                logTail: "")
        }
        return ServiceStatus(id: service.id, runtime: name, state: .running, pid: pid, ports: service.portText,
                             startedAt: record.startedAt, restarts: restarts)
    }

    public func stop(_ service: ResolvedService, grace: Duration) throws {
        let path = recordPath(service.id)
        let record: ServiceRecord
        switch observe(service.id) {
        case .none:
            return
        case .untrusted(let why):
            throw OrchestratorError.untrustedRecord(service.id, why)
        case .gone:
            unlink(path)
            return
        case .running(let found), .leaderExited(let found, _):
            record = found
        }
        try Self.stopGroup(record, grace: grace)
        unlink(path)
        appendLine("---- b00t: stopped \(service.id) at \(UTCTimestamp.format(Date()))\n", to: logPath(service.id))
    }

    /// SIGTERM to the whole process group (also when its leader is gone), SIGKILL after `grace`, and wait —
    /// boundedly — until no process of the group is left.
    static func stopGroup(_ record: ServiceRecord, grace: Duration) throws {
        let pid = record.pid
        guard pid > 1 else { return }
        func remaining() -> [pid_t] {
            var left = ProcFS.isAlive(pid) ? [pid] : []
            if left.isEmpty {
                left = ProcFS.groupMembers(group: pid, session: pid, startedAtOrAfter: record.startTicks)
            }
            return left
        }
        kill(-pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        var delay: UInt32 = 1_000
        while !remaining().isEmpty {
            if ContinuousClock.now >= deadline {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
                return try waitForGroup(record, remaining: remaining, within: .seconds(5))
            }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
    }

    private static func waitForGroup(_ record: ServiceRecord, remaining: () -> [pid_t], within bound: Duration) throws {
        let deadline = ContinuousClock.now + bound
        while !remaining().isEmpty {
            guard ContinuousClock.now < deadline else {
                throw OrchestratorError.system("\(record.id): pid \(record.pid)'s process group is still there 5 s after SIGKILL "
                                               + "(a process stuck in the kernel?); check `ps -g \(record.pid)`")
            }
            usleep(5_000)
        }
    }

    /// Starts the service with its output through `b00t service-log` (rotation at the datum's size bound) when
    /// the b00t binary is at hand (`B00T_BIN`, an absolute path), else straight into the log file.
    private func spawnLogged(_ service: ResolvedService, log: String) throws -> pid_t {
        let options = Spawn.Options(newSession: true, outputPath: log, workingDirectory: service.workingDirectory,
                                    environment: service.environment)
        guard let writer = Self.logWriterCommand(service, log: log) else { return try Spawn.start(service.argv, options: options) }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return try Spawn.start(service.argv, options: options) }
        // Not inherited by anything else this process spawns (Spawn closes descriptors ≥ 3 in its children too).
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        defer {
            close(ends[0])
            close(ends[1])
        }
        // Its own session: a terminal closing (SIGHUP to the caller's group) must not take the log down.
        guard let writerPID = try? Spawn.start(writer, options: .init(newSession: true, inputDescriptor: ends[0])) else {
            return try Spawn.start(service.argv, options: options)
        }
        Spawn.reapWhenDone(writerPID)
        var piped = options
        piped.outputPath = nil
        piped.outputDescriptor = ends[1]
        return try Spawn.start(service.argv, options: piped)
    }

    static func logWriterCommand(_ service: ResolvedService, log: String) -> [String]? {
        guard let binary = service.environment["B00T_BIN"], binary.hasPrefix("/"),
              FileManager.default.isExecutableFile(atPath: binary) else { return nil }
        let limit = service.logLimit
        return [binary, "service-log", "--max-bytes", String(limit.maxBytes), "--keep", String(limit.keep), "--", log]
    }

    public func logTail(_ service: ResolvedService, lines: Int) -> String {
        let budget = min(8 << 20, max(64 * 1024, lines * 1024))
        return LogTail.read(logPath(service.id), lines: lines, maximumBytes: budget) ?? ""
    }

    public func followLogsCommand(_ service: ResolvedService) -> [String] {
        ["tail", "-n", "50", "-F", logPath(service.id)]
    }

    /// Appends to a log without following a symlink; returns why it could not, if it could not.
    @discardableResult
    private func appendLine(_ line: String, to path: String) -> String? {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno)) }
        _ = line.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        return nil
    }
}
