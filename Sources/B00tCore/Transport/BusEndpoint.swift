#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where the bus daemon listens and what secret it wants: the same answers for the server and every client.
public struct BusEndpoint: Sendable, Hashable {
    public var socketPath: String
    /// Required on `hello` when set.
    public var token: String?

    public init(socketPath: String, token: String? = nil) {
        self.socketPath = socketPath
        self.token = token
    }

    /// `$B00T_BUS_SOCKET`, else `<runtime dir>/bus.sock`; the token from `$B00T_BUS_TOKEN`, else the file
    /// `<state dir>/bus.token` when it exists. A token that would silently turn authentication off (empty or
    /// blank) or that other users could read or plant (not a 0600 regular file of this user) is refused.
    public static func standard(paths: B00tPaths = .standard(),
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws(BusTokenError) -> BusEndpoint {
        let socket = environment["B00T_BUS_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } ?? paths.runtimeDirectory + "/bus.sock"
        // Relative, each process would look for the socket under its own working folder (and `bus.sock` alone
        // made the daemon refuse "(empty path)", blaming B00T_STATE_DIR).
        guard socket.hasPrefix("/") else { throw .relativeSocket(socket) }
        return BusEndpoint(socketPath: socket, token: try token(paths: paths, environment: environment))
    }

    /// Longest token file read (tokens are a line of random text).
    static let maximumTokenBytes = 4096

    public static func token(paths: B00tPaths, environment: [String: String]) throws(BusTokenError) -> String? {
        if let token = environment["B00T_BUS_TOKEN"], !token.isEmpty {
            let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw .blankVariable }
            return trimmed
        }
        let file = paths.stateDirectory + "/bus.token"
        let fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw .unreadable(file, code == ELOOP ? "it is a symbolic link" : String(cString: strerror(code)))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .unreadable(file, String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .unreadable(file, "it is not a regular file") }
        guard info.st_uid == geteuid() else { throw .foreignOwner(file, owner: info.st_uid) }
        let mode = info.st_mode & 0o777
        guard mode == 0o600 || mode == 0o400 else { throw .badMode(file, mode: mode) }
        var bytes = [UInt8](repeating: 0, count: maximumTokenBytes)
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n >= 0 else { throw .unreadable(file, String(cString: strerror(errno))) }
        let text = String(decoding: bytes[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw .blankFile(file) }
        return text
    }
}

/// A bus token b00t refuses to use, and how to fix it.
public enum BusTokenError: Error, Equatable, Sendable, CustomStringConvertible {
    case blankVariable
    case blankFile(String)
    case badMode(String, mode: mode_t)
    case foreignOwner(String, owner: uid_t)
    case unreadable(String, String)
    /// `$B00T_BUS_SOCKET` is not an absolute path (the endpoint's other setting, checked with the token).
    case relativeSocket(String)

    public var description: String {
        switch self {
        case .blankVariable:
            return "B00T_BUS_TOKEN holds only whitespace, which would turn authentication off; set a real token or unset it"
        case .blankFile(let file):
            return "\(file) is empty or blank, which would turn authentication off; write a token into it or remove it"
        case .badMode(let file, let mode):
            return "\(file) has mode \(String(mode, radix: 8)), so other users may read the bus token; run `chmod 600 \(file)`"
        case .foreignOwner(let file, let owner):
            return "\(file) belongs to uid \(owner), not to you (uid \(geteuid())); it cannot be trusted as your bus token — remove it"
        case .unreadable(let file, let why):
            return "cannot read the bus token \(file): \(why)"
        case .relativeSocket(let path):
            return "B00T_BUS_SOCKET must be an absolute path, got '\(TerminalText.line(path))': processes in other folders would look for another socket; set it to /full/path/bus.sock or unset it"
        }
    }
}
