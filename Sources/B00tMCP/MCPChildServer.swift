#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation
import MCP

/// An MCP server started from an `mcp` datum's `[[b00t.mcp.stdio]]` entry, as `b00t mcp execute` and
/// `b00t mcp tools` use it: argv (never a shell) with `${VAR}` expanded like every datum string, its stdin and
/// stdout as a `LineTransport`, and its stderr kept (the last 16 KiB) so a failure can say what it printed.
/// `stop` closes its stdin, waits a moment, then signals it: nothing is left running.
public final class MCPChildServer: @unchecked Sendable {
    public let pid: pid_t
    public let argv: [String]
    public let transport: LineTransport
    private let errors: StderrTail
    private let stopping = NSLock()
    private var stoppingStarted = false

    /// Starts `method` with `environment` (plus the datum's `env`, and b00t's own variables as the orchestrator
    /// gives them: `B00T_BIN`, `B00T_STATE_DIR`, `B00T_BUS_SOCKET`).
    public static func launch(_ method: MCPStdioMethod, environment: [String: String], paths: B00tPaths,
                              workingDirectory: String? = nil) throws -> MCPChildServer {
        var env = Orchestrator.withDefaults(environment, paths: paths)
        for (key, value) in method.env { env[key] = EnvExpansion.expand(value, environment: env) }
        let argv = ([method.command] + method.args).map { EnvExpansion.expand($0, environment: env) }
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1], errorsFromChild: [Int32] = [-1, -1]
        guard privatePipe(&toChild) == 0 else { throw MCPClientError.cannotStart(argv[0], String(cString: strerror(errno))) }
        guard privatePipe(&fromChild) == 0 else {
            close(toChild[0]); close(toChild[1])
            throw MCPClientError.cannotStart(argv[0], String(cString: strerror(errno)))
        }
        guard privatePipe(&errorsFromChild) == 0 else {
            for fd in toChild + fromChild { close(fd) }
            throw MCPClientError.cannotStart(argv[0], String(cString: strerror(errno)))
        }
        let pid: pid_t
        do {
            pid = try Spawn.start(argv, options: .init(outputDescriptor: fromChild[1], errorDescriptor: errorsFromChild[1],
                                                       inputDescriptor: toChild[0], workingDirectory: workingDirectory,
                                                       environment: env))
        } catch {
            for fd in toChild + fromChild + errorsFromChild { close(fd) }
            throw MCPClientError.cannotStart(argv[0], "\(error)")
        }
        close(toChild[0]); close(fromChild[1]); close(errorsFromChild[1])
        let errors = StderrTail()
        let errorFD = errorsFromChild[0]
        Thread.detachNewThread { errors.collect(errorFD) }
        return MCPChildServer(pid: pid, argv: argv, transport: LineTransport(input: fromChild[0], output: toChild[1], ownsDescriptors: true),
                              errors: errors)
    }

    /// A pipe whose ends are not inherited by programs this process starts later (Spawn closes every
    /// descriptor above 2 in its children as well).
    static func privatePipe(_ fds: inout [Int32]) -> Int32 {
        guard pipe(&fds) == 0 else { return -1 }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    private init(pid: pid_t, argv: [String], transport: LineTransport, errors: StderrTail) {
        self.pid = pid
        self.argv = argv
        self.transport = transport
        self.errors = errors
    }

    /// What the server wrote to stderr (the end of it), escaped for the terminal.
    public var stderrTail: String { TerminalText.block(errors.text) }

    /// Closes its stdin (a well-behaved server exits), waits up to `grace`, then SIGTERM, then SIGKILL. Once:
    /// after the child is reaped its pid may belong to another process.
    public func stop(grace: Duration = .seconds(2)) async {
        guard stopping.withLock({ () -> Bool in
            defer { stoppingStarted = true }
            return !stoppingStarted
        }) else { return }
        await transport.disconnect()
        let pid = self.pid
        _ = try? await MCPBlocking.run {
            if Self.waitExit(pid, within: grace) { return }
            kill(pid, SIGTERM)
            if Self.waitExit(pid, within: grace) { return }
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }

    static func waitExit(_ pid: pid_t, within timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno == ECHILD) { return true }
            usleep(10_000)
        }
        return false
    }
}

/// The last bytes a child wrote to stderr.
final class StderrTail: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    static let capacity = 16 * 1024

    var text: String { lock.withLock { String(decoding: bytes, as: UTF8.self) } }

    func collect(_ fd: Int32) {
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }
            lock.withLock {
                bytes.append(contentsOf: buffer[0..<n])
                if bytes.count > Self.capacity { bytes.removeFirst(bytes.count - Self.capacity) }
            }
        }
    }
}
