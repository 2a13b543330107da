import Foundation

/// Where b00t keeps its private state (pid files, logs, locks, the bus database) and its sockets.
/// Directories are created 0700: nothing in them is meant for other users.
public struct B00tPaths: Sendable, Hashable {
    public var stateDirectory: String
    public var runtimeDirectory: String

    public init(stateDirectory: String, runtimeDirectory: String? = nil) {
        self.stateDirectory = stateDirectory
        self.runtimeDirectory = runtimeDirectory ?? stateDirectory
    }

    /// `$B00T_STATE_DIR`, else `$XDG_STATE_HOME/b00t`, else `~/.local/state/b00t`; sockets under
    /// `$XDG_RUNTIME_DIR/b00t` when that exists.
    public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> B00tPaths {
        let state: String
        if let explicit = environment["B00T_STATE_DIR"], !explicit.isEmpty {
            state = explicit
        } else if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty {
            state = xdg + "/b00t"
        } else {
            state = (environment["HOME"] ?? NSTemporaryDirectory()) + "/.local/state/b00t"
        }
        var runtime: String? = nil
        if environment["B00T_STATE_DIR"] == nil, let xdg = environment["XDG_RUNTIME_DIR"], !xdg.isEmpty {
            runtime = xdg + "/b00t"
        }
        return B00tPaths(stateDirectory: state, runtimeDirectory: runtime)
    }

    /// Creates `path` (and parents) private to this user, and tightens it if it already existed.
    public static func ensurePrivateDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
    }
}
