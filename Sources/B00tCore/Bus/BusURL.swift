import Foundation

/// Which bus a command talks to — the one place a `--bus` flag, `--store` or `$B00T_BUS_URL` is read:
///
/// - `socket` / `daemon` — the `b00t bus serve` daemon of this machine, started through the orchestrator;
/// - `sqlite` or `sqlite:PATH` — the log file itself, embedded in this process (default `<state>/bus.sqlite`);
/// - `memory` — a throwaway log in this process;
/// - `redis://[user:password@]host[:port][/db][?bus=NAME]` — a Redis Stream shared by hosts.
///
/// Anything else is an error that lists these forms: a typo never silently means "the default".
public enum BusURL: Sendable, Equatable, CustomStringConvertible {
    case daemon
    case sqlite(path: String?)
    case memory
    case redis(RedisURL)

    public static let forms = "socket (the daemon), sqlite[:PATH], memory or redis://[:PASSWORD@]HOST[:PORT][/DB][?bus=NAME]"

    public init(parsing raw: String) throws(BusError) {
        let text = raw.trimmingCharacters(in: .whitespaces)
        switch text {
        case "socket", "daemon": self = .daemon
        case "sqlite", "embedded": self = .sqlite(path: nil)
        case "memory": self = .memory
        default:
            if text.hasPrefix("redis://") {
                self = .redis(try RedisURL(parsing: text))
            } else if text.hasPrefix("sqlite:") {
                let path = String(text.dropFirst(7))
                guard !path.isEmpty, !path.contains("\u{0}") else { throw .invalid("bus '\(raw)': sqlite: needs a file path, like sqlite:/tmp/bus.sqlite") }
                self = .sqlite(path: path)
            } else {
                let shown = TerminalText.line(String(raw.prefix(80)))
                throw .invalid("bus '\(shown)' is not one b00t knows; use \(Self.forms)")
            }
        }
    }

    /// The flag if given, else `$B00T_BUS_URL` (when set and not empty), else `fallback` — each checked the same way,
    /// and an error names where the bad value came from.
    public static func resolve(_ flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                               fallback: BusURL) throws(BusError) -> BusURL {
        if let flag { return try BusURL(parsing: flag) }
        if let env = environment["B00T_BUS_URL"], !env.trimmingCharacters(in: .whitespaces).isEmpty {
            do { return try BusURL(parsing: env) } catch { throw .invalid("$B00T_BUS_URL: \(error.description)") }
        }
        return fallback
    }

    /// An explicit `sqlite:PATH` must name a file in an existing folder: a mistyped folder would otherwise
    /// quietly become a new, empty bus.
    func checkedSQLitePath(_ path: String?, paths: B00tPaths) throws(BusError) -> String {
        guard let path else { return paths.stateDirectory + "/bus.sqlite" }
        let folder = (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .invalid("bus sqlite:\(TerminalText.line(path)): there is no folder \(TerminalText.line(folder)); create it first (or fix the path)")
        }
        // A folder given as the file was blamed on its parent's permissions ("refusing to use /tmp: mode 1777").
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .invalid("bus sqlite:\(TerminalText.line(path)) is a folder; give the log file's path, like sqlite:\(TerminalText.line(path))/bus.sqlite")
        }
        return path
    }

    /// Opens it, speaking as `agent` where that matters (a socket binds one identity per connection; `/as`
    /// re-binds it).
    public func open(agent: String, paths: B00tPaths = .standard(),
                     environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> any CrewBus {
        switch self {
        case .daemon: return try await BusConnector.connect(agent: agent, paths: paths, environment: environment)
        case .sqlite(let path): return try await MessageBus(backend: try SQLiteBusBackend(path: try checkedSQLitePath(path, paths: paths)))
        case .memory: return try await MessageBus(backend: MemoryBusBackend())
        case .redis(let url): return try await MessageBus(backend: try RedisBusBackend(url: url))
        }
    }

    /// The backend itself, for commands that host or load a log (`bus serve --store`, `bus load`).
    public func backend(paths: B00tPaths = .standard()) throws -> any BusBackend {
        switch self {
        case .daemon: throw BusError.invalid("this command needs the log itself (sqlite, memory or redis://…), not the daemon")
        case .sqlite(let path): return try SQLiteBusBackend(path: try checkedSQLitePath(path, paths: paths))
        case .memory: return MemoryBusBackend()
        case .redis(let url): return try RedisBusBackend(url: url)
        }
    }

    public var description: String {
        switch self {
        case .daemon: return "socket"
        case .sqlite(let path): return path.map { "sqlite:\($0)" } ?? "sqlite"
        case .memory: return "memory"
        case .redis(let url): return url.description
        }
    }

    /// A short name for a bus's label, for status bars: `memory`, `sqlite`, `socket`, `redis host:port`.
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
}
