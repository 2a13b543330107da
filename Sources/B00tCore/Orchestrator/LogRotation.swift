#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// How big a service's log may grow and how many rotated files are kept (`app.log.1` … `app.log.N`).
public struct LogLimit: Sendable, Equatable {
    public var maxBytes: Int
    public var keep: Int
    public init(maxBytes: Int = Resources.defaultLogMaxBytes, keep: Int = Resources.defaultLogKeep) {
        self.maxBytes = maxBytes
        self.keep = keep
    }
}

/// Rotation by renaming, the way logrotate and svlogd do it: `log.N-1` → `log.N`, …, `log` → `log.1`; the
/// oldest beyond `keep` is removed. Never follows a symlink planted at a rotated name (rename replaces the
/// link itself).
public enum LogRotation {
    public static func rotate(_ path: String, keep: Int) {
        let keep = max(1, min(keep, Resources.logKeepRange.upperBound))
        unlink("\(path).\(keep)")
        var index = keep - 1
        while index >= 1 {
            rename("\(path).\(index)", "\(path).\(index + 1)")
            index -= 1
        }
        rename(path, "\(path).1")
    }

    /// Rotates `path` when it is already past the limit (before a start appends to it).
    public static func rotateIfOver(_ path: String, limit: LogLimit) {
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) >= limit.maxBytes else { return }
        rotate(path, keep: limit.keep)
    }
}

/// Copies a service's output (a pipe) into its log, rotating when the next write would pass the limit.
/// Runs as `b00t service-log` beside the service, in a session of its own so a closing terminal does not
/// take it down; it ends when every writer of the pipe has closed it (the service is gone).
public struct RotatingLogWriter {
    public let path: String
    public let limit: LogLimit
    private var descriptor: Int32 = -1
    private var size = 0

    public init(path: String, limit: LogLimit) {
        self.path = path
        self.limit = limit
    }

    /// Copies `input` until end of file. Write failures (a full disk) drop output rather than stall the
    /// service: a blocked pipe would stop the program whose log this is.
    public mutating func copy(from input: Int32) throws(LogWriterError) {
        try open()
        defer { if descriptor >= 0 { close(descriptor) } }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count == 0 { return }
            if count < 0 {
                if errno == EINTR { continue }
                throw .read(String(cString: strerror(errno)))
            }
            if size > 0, size + count > limit.maxBytes {
                close(descriptor)
                descriptor = -1
                LogRotation.rotate(path, keep: limit.keep)
                try open()
            }
            // A failed write (a full disk) drops this chunk: see above.
            _ = buffer.withUnsafeBytes { DescriptorWrite.all(descriptor, UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            size += count
        }
    }

    private mutating func open() throws(LogWriterError) {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw .open(path, errno == ELOOP ? "it is a symbolic link" : String(cString: strerror(errno)))
        }
        var info = stat()
        size = fstat(fd, &info) == 0 ? Int(info.st_size) : 0
        descriptor = fd
    }
}

public enum LogWriterError: Error, CustomStringConvertible {
    case open(String, String)
    case read(String)

    public var code: String { "log_writer" }

    public var description: String {
        switch self {
        case .open(let path, let why): return "cannot write the log \(path): \(why)"
        case .read(let why): return "cannot read the service's output: \(why)"
        }
    }
}
