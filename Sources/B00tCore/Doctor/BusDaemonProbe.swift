#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The crew bus daemon (`b00t-bus.process`): its pid record, its socket (there, private, answering a real
/// `ping`, which the protocol allows before `hello`, so doctor joins no crew and writes no event), and the
/// token file's mode. A daemon that is simply not running is fine: clients start it on demand.
public struct BusDaemonProbe: DoctorProbe {
    public let id = "bus"
    public var paths: B00tPaths
    public var environment: [String: String]
    /// How long the socket may take to answer `ping` (inside the probe's own bound).
    public var pingTimeout: Duration = .seconds(2)

    static let datumID = "b00t-bus.process"

    public init(paths: B00tPaths, environment: [String: String]) {
        self.paths = paths
        self.environment = environment
    }

    public var socketPath: String {
        environment["B00T_BUS_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } ?? paths.runtimeDirectory + "/bus.sock"
    }

    public func run() async -> [DoctorCheck] {
        let socketPath = self.socketPath, paths = self.paths
        let (record, socket) = await Doctor.offThread {
            (ProcessRuntime(paths: paths).observe(Self.datumID), SocketFile.inspect(socketPath))
        }
        let ping: PingOutcome? = socket == .socket || socket.isLoose ? await Self.ping(socketPath, timeout: pingTimeout) : nil
        var checks = [Self.daemonCheck(record: record, socket: socket, ping: ping, socketPath: socketPath,
                                       recordPath: ProcessRuntime(paths: paths).recordPath(Self.datumID))]
        if let socketCheck = Self.socketModeCheck(socket, path: socketPath) { checks.append(socketCheck) }
        if let folderCheck = socketFolderCheck() { checks.append(folderCheck) }
        checks.append(Self.tokenCheck(paths: paths, environment: environment))
        return checks
    }

    // MARK: - The socket file

    /// What is at the socket path (looked at with `lstat`: never followed).
    enum SocketFile: Equatable {
        case absent
        case socket
        /// A socket other users may connect to, or that is not ours.
        case looseSocket(mode: mode_t, owner: uid_t)
        case notASocket
        case unreadable(String)

        var isLoose: Bool { if case .looseSocket = self { return true } else { return false } }

        static func inspect(_ path: String, owner: uid_t = geteuid()) -> SocketFile {
            var info = stat()
            guard lstat(path, &info) == 0 else {
                return errno == ENOENT ? .absent : .unreadable(String(cString: strerror(errno)))
            }
            guard info.st_mode & S_IFMT == S_IFSOCK else { return .notASocket }
            let mode = info.st_mode & 0o777
            if mode & 0o077 != 0 || info.st_uid != owner { return .looseSocket(mode: mode, owner: info.st_uid) }
            return .socket
        }
    }

    static func socketModeCheck(_ socket: SocketFile, path: String) -> DoctorCheck? {
        guard case .looseSocket(let mode, let owner) = socket else { return nil }
        if owner != geteuid() {
            return DoctorCheck("bus.socket", .fail, "the bus socket \(path) belongs to uid \(owner), not to you",
                               fix: "another user's daemon would receive your crew's messages: remove it and `b00t bus ping`")
        }
        return DoctorCheck("bus.socket", .fail, "the bus socket \(path) has mode \(String(mode, radix: 8)): other users may connect",
                           fix: "chmod 600 \(path) (b00t bus serve makes it 600: `b00t restart b00t-bus.process`)")
    }

    /// The folder `$B00T_BUS_SOCKET` puts the socket in, when it is not the runtime directory (which the
    /// directories probe looks at): the daemon makes it 0700 and refuses one that others can write to, so a
    /// socket set in /tmp would fail only when the daemon starts. Doctor says so first.
    func socketFolderCheck(owner: uid_t = geteuid()) -> DoctorCheck? {
        guard socketPath.hasPrefix("/") else {
            return DoctorCheck("bus.socket-dir", .fail, BusTokenError.relativeSocket(socketPath).description)
        }
        let folder = (socketPath as NSString).deletingLastPathComponent
        guard !folder.isEmpty, folder != paths.runtimeDirectory else { return nil }
        return DirectoriesProbe(paths: paths, owner: owner)
            .folderCheck(folder, id: "bus.socket-dir", what: "bus socket's folder ($B00T_BUS_SOCKET)",
                         remedy: "point B00T_BUS_SOCKET at a socket in a private folder (or unset it)").check
    }

    // MARK: - Ping

    enum PingOutcome: Equatable {
        case answered(Duration)
        case failed(String)
        case noAnswer(Duration)
    }

    /// Connects and sends `{"op":"ping"}`; whatever happens, within `timeout`, and the connection is closed.
    static func ping(_ socketPath: String, timeout: Duration) async -> PingOutcome {
        let race = FirstOf<PingOutcome>()
        let holder = ClientHolder()
        let outcome = try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<PingOutcome, Error>) in
            race.start(continuation)
            let work = Task {
                let started = ContinuousClock.now
                do {
                    let client = try await BusClient.connect(BusEndpoint(socketPath: socketPath))
                    guard holder.keep(client) else { return await client.close() }
                    _ = try await client.request("ping")
                    race.finish(.success(.answered(ContinuousClock.now - started)))
                } catch BusClientError.cannotConnect(_, let why) {
                    race.finish(.success(.failed(why)))
                } catch {
                    race.finish(.success(.failed("\(error)")))
                }
            }
            let timer = Task {
                try await Task.sleep(for: timeout)
                race.finish(.success(.noAnswer(timeout)))
            }
            race.whenDone { work.cancel(); timer.cancel() }
        }
        await holder.close()
        return outcome ?? .noAnswer(timeout)
    }

    /// The ping's connection, closed once the race is over — also when it connects after the timeout.
    final class ClientHolder: @unchecked Sendable {
        private let lock = NSLock()
        private var client: BusClient?
        private var closed = false

        /// False when the race is already over: the caller closes the client itself.
        func keep(_ client: BusClient) -> Bool {
            lock.withLock {
                guard !closed else { return false }
                self.client = client
                return true
            }
        }

        func close() async {
            let client = lock.withLock { () -> BusClient? in
                closed = true
                defer { self.client = nil }
                return self.client
            }
            await client?.close()
        }
    }

    // MARK: - The verdict

    static func daemonCheck(record: ProcessRuntime.Observation, socket: SocketFile, ping: PingOutcome?,
                            socketPath: String, recordPath: String) -> DoctorCheck {
        let id = "bus.daemon"
        let restart = "b00t restart \(datumID)"
        let answered: String? = {
            guard case .answered(let elapsed)? = ping else { return nil }
            return String(format: "answered ping in %.1f ms on %@", elapsed.milliseconds, socketPath)
        }()
        let silence: String = {
            switch ping {
            case .failed(let why)?: return "\(socketPath) refused the connection (\(why))"
            case .noAnswer(let after)?: return "\(socketPath) did not answer ping within \(Doctor.seconds(after))"
            case .answered?, nil:
                switch socket {
                case .absent: return "there is no socket at \(socketPath)"
                case .notASocket: return "\(socketPath) is not a socket"
                case .unreadable(let why): return "cannot look at \(socketPath): \(why)"
                case .socket, .looseSocket: return "\(socketPath) is silent"
                }
            }
        }()
        switch record {
        case .running(let found):
            let uptime = formatUptime(max(0, Date().timeIntervalSince(found.startedAt)))
            if let answered {
                return DoctorCheck(id, .ok, "running as pid \(found.pid) for \(uptime); \(answered)")
            }
            return DoctorCheck(id, .fail, "pid \(found.pid) runs but \(silence)",
                               fix: "\(restart) (and `b00t logs \(datumID)` for what it said)")
        case .leaderExited(let found, let members):
            return DoctorCheck(id, .warn, ProcessRuntime.leaderExitedDetail(found, members: members),
                               fix: "b00t stop \(datumID) stops the group; the next bus client starts a fresh daemon")
        case .untrusted(let why):
            return DoctorCheck(id, .fail, why, fix: "rm \(recordPath) if no bus daemon runs (check with `b00t ps`)")
        case .gone(let found):
            if let answered {
                return DoctorCheck(id, .warn, "a daemon \(answered), but the record of pid \(found.pid) is stale",
                                   fix: "b00t stop \(datumID) clears the stale record (the daemon answering was started by hand)")
            }
            return DoctorCheck(id, .warn, "not running: the daemon b00t started (pid \(found.pid)) died without being stopped",
                               fix: "`b00t logs \(datumID)` says why; `b00t bus ping` starts it again")
        case .none:
            if let answered {
                return DoctorCheck(id, .ok, "a daemon started by hand (no pid record) \(answered)")
            }
            switch socket {
            case .absent:
                return DoctorCheck(id, .ok, "not running; clients start it on demand (`b00t bus ping`)")
            case .notASocket:
                return DoctorCheck(id, .fail, "\(socketPath) is not a socket, so the daemon cannot listen there",
                                   fix: "move it aside, or point B00T_BUS_SOCKET elsewhere")
            case .unreadable(let why):
                return DoctorCheck(id, .fail, "cannot look at \(socketPath): \(why)", fix: "check the runtime directory's permissions")
            case .socket, .looseSocket:
                return DoctorCheck(id, .warn, "stale socket: \(silence), and no daemon is recorded",
                                   fix: "`b00t bus ping` starts a daemon, which replaces the socket file")
            }
        }
    }

    // MARK: - The token

    static func tokenCheck(paths: B00tPaths, environment: [String: String]) -> DoctorCheck {
        let id = "bus.token"
        do {
            let token = try BusEndpoint.token(paths: paths, environment: environment)
            if let variable = environment["B00T_BUS_TOKEN"], !variable.isEmpty {
                return DoctorCheck(id, .ok, "token from $B00T_BUS_TOKEN")
            }
            if token != nil {
                return DoctorCheck(id, .ok, "token file \(paths.stateDirectory)/bus.token: yours, private")
            }
            return DoctorCheck(id, .ok, "no token (the socket is private and the daemon checks the peer's uid)")
        } catch {
            switch error {
            case .badMode(let file, let mode):
                return DoctorCheck(id, .fail, "\(file) has mode \(String(mode, radix: 8)): other users may read the bus token",
                                   fix: "chmod 600 \(file)")
            case .foreignOwner(let file, let owner):
                return DoctorCheck(id, .fail, "\(file) belongs to uid \(owner), not to you: it cannot be trusted",
                                   fix: "rm \(file) (and write your own token, mode 600, if you want one)")
            case .blankFile(let file):
                return DoctorCheck(id, .fail, "\(file) is blank, which would turn authentication off (clients refuse it)",
                                   fix: "write a token into it (mode 600), or rm \(file)")
            case .blankVariable:
                return DoctorCheck(id, .fail, "$B00T_BUS_TOKEN holds only whitespace (clients refuse it)",
                                   fix: "unset B00T_BUS_TOKEN, or set a real token")
            case .unreadable(let file, let why):
                return DoctorCheck(id, .fail, "cannot read the bus token \(file): \(why)",
                                   fix: "make it a regular file of yours with mode 600, or rm \(file)")
            case .relativeSocket:  // `token` reads no socket; `socketFolderCheck` reports this one
                return DoctorCheck(id, .fail, error.description)
            }
        }
    }
}
