#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs a CLI from argv to completion and captures its output (container engines, `redis-cli`). Bounded in
/// time: a container engine whose daemon hangs must not hang `up` or `ps`. The command runs in its own
/// process group; past `timeout` the whole group is killed (so a child that keeps the output pipes open
/// cannot hold the caller either) and `CommandTimeout` is thrown.
public enum CommandRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Output kept per stream; more is read and dropped so the command is never blocked on a full pipe.
    static let maximumOutputBytes = 4 << 20

    public static func run(_ argv: [String], environment: [String: String]? = nil,
                           timeout: Duration = .seconds(60), workingDirectory: String? = nil) throws -> Output {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        guard pipe(&out) == 0 else { throw SystemError.call("pipe", errno) }
        guard pipe(&err) == 0 else {
            let code = errno
            close(out[0]); close(out[1])
            throw SystemError.call("pipe", code)
        }
        let pid: pid_t
        do {
            pid = try Spawn.start(argv, options: .init(newSession: true, outputDescriptor: out[1], errorDescriptor: err[1],
                                                       workingDirectory: workingDirectory, environment: environment))
        } catch {
            for fd in out + err { close(fd) }
            throw error
        }
        close(out[1]); close(err[1])
        defer { close(out[0]); close(err[0]) }
        let deadline = ContinuousClock.now + timeout
        var buffers: [[UInt8]] = [[], []]
        var open = [true, true]
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var timedOut = false
        while open[0] || open[1] {
            let remaining = deadline - ContinuousClock.now
            let ms = remaining.wholeMilliseconds
            guard ms > 0 else {
                timedOut = true
                break
            }
            var fds = [pollfd(fd: open[0] ? out[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open[1] ? err[0] : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, Int32(clamping: ms))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            for i in 0..<2 where open[i] && fds[i].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    if buffers[i].count < maximumOutputBytes { buffers[i] += chunk[0..<min(n, maximumOutputBytes - buffers[i].count)] }
                } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                    open[i] = false
                }
            }
        }
        if timedOut {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        if timedOut { throw CommandTimeout(argv: argv, timeout: timeout) }
        return Output(status: Spawn.exitCode(status), stdout: String(decoding: buffers[0], as: UTF8.self),
                      stderr: String(decoding: buffers[1], as: UTF8.self))
    }
}

/// A command that ran past its time limit and was killed.
public struct CommandTimeout: Error, CustomStringConvertible, Sendable {
    public var argv: [String]
    public var timeout: Duration
    public var description: String {
        "`\(argv.joined(separator: " "))` did not finish within \(timeout.components.seconds) s and was killed"
    }
}
