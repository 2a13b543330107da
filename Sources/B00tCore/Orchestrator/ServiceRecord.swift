#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// What the process runtime remembers about a daemon it started: enough to find it again from another
/// process (pid + start time, so a recycled pid is not mistaken for it) and to say since when it runs.
public struct ServiceRecord: Codable, Sendable, Equatable {
    public var id: String
    public var pid: Int32
    public var startTicks: UInt64
    public var startedAt: Date
    public var argv: [String]
    public var restarts: Int

    /// Records are a few hundred bytes; anything larger is not one of ours.
    static let maximumBytes = 64 * 1024

    /// What is at a record's path.
    enum Lookup: Equatable {
        case none
        case found(ServiceRecord)
        /// Something is there but it is not a record b00t wrote (why, for the message).
        case invalid(String)
    }

    /// Writes atomically (temp file + rename), mode 0600.
    func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .utcTimestamp
        let data = try encoder.encode(self)
        try PrivateFile.writeAtomically(data, to: path)
    }

    /// Reads without following a symlink, and only a small regular file this user owns.
    static func read(from path: String) -> Lookup {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { return .none }
            return .invalid(code == ELOOP ? "it is a symlink" : String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .invalid(String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .invalid("it is not a regular file") }
        guard info.st_uid == geteuid() else { return .invalid("it belongs to uid \(info.st_uid), not to you") }
        guard info.st_size <= maximumBytes else { return .invalid("it is \(info.st_size) bytes, too large for a record") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            count += n
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .utcTimestamp
        guard let record = try? decoder.decode(ServiceRecord.self, from: Data(bytes[0..<count])) else {
            return .invalid("it is not a service record b00t wrote")
        }
        return .found(record)
    }
}
