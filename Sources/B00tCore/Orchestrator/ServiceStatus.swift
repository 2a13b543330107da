import Foundation

/// What a runtime observes about one service, without changing anything.
public struct ServiceStatus: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        /// Up (health is judged separately).
        case running
        /// Not started, or stopped on purpose.
        case stopped
        /// Was started by b00t and is gone without being stopped: the restart policy decides.
        case crashed
        /// The runtime could not tell (engine unreachable, unreadable state, a record b00t will not trust).
        case unknown
        /// The process b00t started exited but left its process group running: the program daemonized itself
        /// (forked into the background), so b00t cannot supervise it. `stop` still stops the group.
        case leaderExited = "leader-exited"
    }

    public var id: String
    public var runtime: String
    public var state: State
    public var health: String?
    public var pid: Int32?
    public var container: String?
    public var ports: String
    public var startedAt: Date?
    public var restarts: Int
    /// Why it is crashed or unknown, for messages.
    public var detail: String?

    public init(id: String, runtime: String, state: State, health: String? = nil, pid: Int32? = nil,
                container: String? = nil, ports: String = "", startedAt: Date? = nil, restarts: Int = 0,
                detail: String? = nil) {
        self.id = id
        self.runtime = runtime
        self.state = state
        self.health = health
        self.pid = pid
        self.container = container
        self.ports = ports
        self.startedAt = startedAt
        self.restarts = restarts
        self.detail = detail
    }

    public func uptime(now: Date = Date()) -> TimeInterval? {
        guard state == .running, let startedAt else { return nil }
        return max(0, now.timeIntervalSince(startedAt))
    }
}

/// Seconds as `ps` prints them: `42s`, `3m12s`, `2h05m`, `3d4h`.
public func formatUptime(_ seconds: TimeInterval) -> String {
    let s = Int(seconds)
    if s < 60 { return "\(s)s" }
    if s < 3600 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
    if s < 86400 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
    return "\(s / 86400)d\((s % 86400) / 3600)h"
}

extension ServiceStatus {
    /// Why services are not running, for under a status table (whose columns have no room for it): one line
    /// per reason, naming every service it applies to ("one.docker, two.docker: docker did not answer …"),
    /// escaped for the terminal (a detail may quote an engine's stderr).
    public static func notes(_ statuses: [ServiceStatus]) -> [String] {
        var order: [String] = []
        var names: [String: [String]] = [:]
        for status in statuses where status.state != .running {
            guard let detail = status.detail, !detail.isEmpty else { continue }
            if names[detail] == nil { order.append(detail) }
            names[detail, default: []].append(status.id)
        }
        return order.map { detail in
            TerminalText.line((names[detail] ?? []).joined(separator: ", ") + ": " + detail)
        }
    }
}
