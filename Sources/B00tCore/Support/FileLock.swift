#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An exclusive `flock` on a file in the state dir: serializes "probe → start → wait" (and stop) for one
/// datum across every process on the machine. The descriptor is close-on-exec, so a started daemon never
/// inherits the lock. Waiting is bounded: a lock held past `timeout` is an error that names the holder.
public final class FileLock {
    private var fd: Int32

    /// Blocks until the lock is held, or throws `LockError.timedOut` after `timeout`. `waiting` is called
    /// once, with the holder's pid when it can be found, when the lock has been busy for `notifyAfter`.
    public init(path: String, timeout: Duration = .seconds(3600), notifyAfter: Duration = .seconds(1),
                waiting: ((pid_t?) -> Void)? = nil) throws(LockError) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .cannotOpen(path, errno) }
        let began = ContinuousClock.now
        let deadline = began + timeout
        var delay: UInt32 = 1_000
        var told = false
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            if code == EINTR { continue }
            guard code == EWOULDBLOCK else {
                close(fd)
                throw .cannotLock(path, code)
            }
            if !told, ContinuousClock.now - began >= notifyAfter {
                told = true
                waiting?(Self.holder(of: fd))
            }
            if ContinuousClock.now >= deadline {
                let holder = Self.holder(of: fd)
                close(fd)
                fd = -1
                throw .timedOut(path, holder: holder, command: holder.flatMap(Self.commandLine), waited: timeout)
            }
            usleep(delay)
            delay = min(delay * 2, 50_000)
        }
        // For people reading the file, and for `holder` when /proc/locks is not available.
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }

    /// The pid holding the flock on the file open as `fd`: from /proc/locks (matched by device and inode),
    /// else the pid the holder wrote into the file.
    static func holder(of fd: Int32) -> pid_t? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let dev = UInt64(info.st_dev)
        let major = (dev >> 8) & 0xfff | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        let device = String(major, radix: 16).leftPadded(2) + ":" + String(minor, radix: 16).leftPadded(2) + ":\(info.st_ino)"
        if let data = FileManager.default.contents(atPath: "/proc/locks") {
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                let fields = line.split(separator: " ")
                // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters carry "->" after the number.
                guard fields.count >= 6, fields[1] == "FLOCK", fields[5] == device, let pid = pid_t(fields[4]) else { continue }
                return pid
            }
        }
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        return pid_t(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `/proc/<pid>/cmdline` as one line, for messages.
    static func commandLine(_ pid: pid_t) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        let text = String(decoding: data.prefix(200).map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        return TerminalText.line(text.trimmingCharacters(in: .whitespaces))
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// Why a lock could not be taken.
public enum LockError: Error, Equatable, Sendable, CustomStringConvertible {
    case cannotOpen(String, Int32)
    case cannotLock(String, Int32)
    case timedOut(String, holder: pid_t?, command: String?, waited: Duration)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): return "cannot open lock \(path): \(String(cString: strerror(code)))"
        case .cannotLock(let path, let code): return "cannot lock \(path): \(String(cString: strerror(code)))"
        case .timedOut(let path, let holder, let command, let waited):
            let who = holder.map { "pid \($0)" + (command.map { " (\($0))" } ?? "") } ?? "another process"
            return "gave up after \(waited.components.seconds) s waiting for \(path), held by \(who); "
                + "if that process is stuck, stop it, or raise lock_timeout_ms in the datum"
        }
    }
}

/// A failed system call, with what was attempted and `strerror` text.
public enum SystemError: Error, CustomStringConvertible, Sendable {
    case call(String, Int32)

    public var description: String {
        switch self {
        case .call(let what, let code): return "\(what): \(String(cString: strerror(code)))"
        }
    }
}
