#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where b00t keeps its private state (pid files, logs, locks, the bus database) and its sockets.
/// Directories are created 0700 and trusted only when this user owns them and nobody else can write to them:
/// another user who could plant a symlink or a service record there could make b00t write where they choose
/// or signal processes they name.
public struct B00tPaths: Sendable, Hashable {
    public var stateDirectory: String
    public var runtimeDirectory: String

    public init(stateDirectory: String, runtimeDirectory: String? = nil) {
        self.stateDirectory = stateDirectory
        self.runtimeDirectory = runtimeDirectory ?? stateDirectory
    }

    /// `$B00T_STATE_DIR`, else `$XDG_STATE_HOME/b00t`, else `~/.local/state/b00t`; sockets under
    /// `$XDG_RUNTIME_DIR/b00t` when that exists. With `HOME` unset the home directory comes from the user
    /// database (never a shared temporary directory); only when that has none either is
    /// `/tmp/b00t-<uid>` used, and like every state directory it is refused unless this user owns it.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> B00tPaths {
        let state: String
        if let explicit = environment["B00T_STATE_DIR"], !explicit.isEmpty {
            state = explicit
        } else if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty {
            state = xdg + "/b00t"
        } else if let home = homeDirectory(environment: environment) {
            state = home + "/.local/state/b00t"
        } else {
            state = "/tmp/b00t-\(getuid())/state"
        }
        var runtime: String? = nil
        if environment["B00T_STATE_DIR"] == nil, let xdg = environment["XDG_RUNTIME_DIR"], !xdg.isEmpty {
            runtime = xdg + "/b00t"
        }
        return B00tPaths(stateDirectory: state, runtimeDirectory: runtime)
    }

    /// `$HOME`, else this user's home directory from the user database.
    static func homeDirectory(environment: [String: String]) -> String? {
        if let home = environment["HOME"], !home.isEmpty { return home }
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(getuid(), &entry, &buffer, buffer.count, &result) == 0, result != nil,
              let dir = entry.pw_dir
        else { return nil }
        let home = String(cString: dir)
        return home.isEmpty || home == "/nonexistent" ? nil : home
    }

    /// `<state>/<name>`, created or checked (and the state directory with it).
    public func stateSubdirectory(_ name: String) throws(StateDirectoryError) -> String {
        try Self.ensurePrivateDirectory(stateDirectory)
        let path = stateDirectory + "/" + name
        try Self.ensurePrivateDirectory(path)
        return path
    }

    /// Creates `path` (and missing parents) 0700, or checks an existing one: it must be a directory owned by
    /// this user and not writable by group or others (it is tightened to 0700 if it is merely readable).
    public static func ensurePrivateDirectory(_ path: String) throws(StateDirectoryError) {
        guard !path.isEmpty else { throw .notADirectory("(empty path)") }
        var info = stat()
        if stat(path, &info) != 0 {
            guard errno == ENOENT else { throw .cannotUse(path, errno) }
            try createDirectories(path)
            guard stat(path, &info) == 0 else { throw .cannotUse(path, errno) }
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw .notADirectory(path) }
        guard info.st_uid == geteuid() else { throw .foreignOwner(path, owner: info.st_uid) }
        let mode = info.st_mode & 0o7777
        guard mode & 0o022 == 0 else { throw .writableByOthers(path, mode: mode) }
        if mode & 0o077 != 0, chmod(path, 0o700) != 0 { throw .cannotUse(path, errno) }
    }

    private static func createDirectories(_ path: String) throws(StateDirectoryError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            current += "/" + component
            if mkdir(current, 0o700) != 0, errno != EEXIST { throw .cannotCreate(current, errno) }
        }
    }
}

/// A state or runtime directory b00t will not use, and what to do about it.
public enum StateDirectoryError: Error, Equatable, Sendable, CustomStringConvertible {
    case notADirectory(String)
    case foreignOwner(String, owner: uid_t)
    case writableByOthers(String, mode: mode_t)
    case cannotCreate(String, Int32)
    case cannotUse(String, Int32)

    public var description: String {
        let fix = "or point B00T_STATE_DIR at a private directory"
        switch self {
        case .notADirectory(let path):
            return "\(path) is not a directory; remove it \(fix)"
        case .foreignOwner(let path, let owner):
            return "refusing to use \(path): it belongs to uid \(owner), not to you (uid \(geteuid())), so its owner "
                + "could plant files b00t trusts; remove it \(fix)"
        case .writableByOthers(let path, let mode):
            return "refusing to use \(path): its mode \(String(mode, radix: 8)) lets other users write to it; "
                + "run `chmod 700 \(path)` \(fix)"
        case .cannotCreate(let path, let code):
            return "cannot create \(path): \(String(cString: strerror(code)))"
        case .cannotUse(let path, let code):
            return "cannot use \(path): \(String(cString: strerror(code)))"
        }
    }
}
