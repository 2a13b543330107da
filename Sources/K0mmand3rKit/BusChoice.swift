import B00tCore
import Foundation

/// Which bus a REPL session steers: `memory` (throwaway), `sqlite[:PATH]` (the embedded default, shared by every
/// process on this machine), or `socket` (the `b00t bus serve` daemon, started if needed).
public enum BusChoice: Equatable, Sendable {
    case memory
    case sqlite(String?)
    case socket
    case redis(String)

    public static func parse(_ text: String) throws(ReplError) -> BusChoice {
        switch text {
        case "memory": return .memory
        case "sqlite", "embedded": return .sqlite(nil)
        case "socket", "daemon": return .socket
        default:
            if text.hasPrefix("redis://") { return .redis(text) }
            if text.hasPrefix("sqlite:") { return .sqlite(String(text.dropFirst(7))) }
            throw .usage("--bus must be memory, sqlite[:PATH], socket or redis://host:port/db (got '\(text)')")
        }
    }

    /// Opens the bus, speaking as `agent` where that matters (a socket binds one identity per connection; `/as`
    /// re-binds it).
    public func open(agent: String, paths: B00tPaths = .standard()) async throws -> any CrewBus {
        switch self {
        case .memory:
            return try await MessageBus(backend: MemoryBusBackend())
        case .sqlite(let path):
            return try await MessageBus(backend: try SQLiteBusBackend(path: path ?? paths.stateDirectory + "/bus.sqlite"))
        case .redis(let url):
            return try await MessageBus(backend: try RedisBusBackend(url))
        case .socket:
            return try await BusConnector.connect(agent: agent, paths: paths)
        }
    }

    /// A short name for status bars: `memory`, `sqlite`, `socket`, `redis host:port`.
    public static func shortLabel(_ label: String) -> String {
        if label.hasPrefix("unix:") { return "socket" }
        if label.hasPrefix("sqlite:") { return "sqlite" }
        if label.hasPrefix("redis://") {
            let rest = label.dropFirst(8)
            let hostPort = rest.split(separator: "/", maxSplits: 1).first.map(String.init) ?? String(rest)
            return "redis " + (hostPort.split(separator: "@").last.map(String.init) ?? hostPort)
        }
        return label
    }

    /// The REPL's own identity when none is given: `$B00T_AGENT`, else the login name.
    public static func defaultAgent(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let raw = environment["B00T_AGENT"] ?? environment["USER"] ?? "human"
        let cleaned = String(raw.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }.prefix(64))
        return cleaned.isEmpty ? "human" : cleaned
    }
}
