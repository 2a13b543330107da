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

    /// `$B00T_BUS_SOCKET`, else `<runtime dir>/bus.sock`; the token from `$B00T_BUS_TOKEN`, else the 0600 file
    /// `<state dir>/bus.token` when it exists.
    public static func standard(paths: B00tPaths = .standard(),
                                environment: [String: String] = ProcessInfo.processInfo.environment) -> BusEndpoint {
        let socket = environment["B00T_BUS_SOCKET"].flatMap { $0.isEmpty ? nil : $0 } ?? paths.runtimeDirectory + "/bus.sock"
        return BusEndpoint(socketPath: socket, token: token(paths: paths, environment: environment))
    }

    public static func token(paths: B00tPaths, environment: [String: String]) -> String? {
        if let token = environment["B00T_BUS_TOKEN"], !token.isEmpty { return token }
        let file = paths.stateDirectory + "/bus.token"
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }
}
