#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An exclusive `flock` on a file in the state dir: serializes "probe → start → wait" for one datum across
/// every process on the machine. The descriptor is close-on-exec, so a started daemon never inherits the lock.
public final class FileLock {
    private var fd: Int32

    /// Blocks until the lock is held.
    public init(path: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError.call("open \(path)", errno) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let code = errno
            close(fd)
            throw SystemError.call("flock \(path)", code)
        }
    }

    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
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
