import Foundation

/// `redis://[user:password@]host[:port][/db][?bus=NAME]`. The password may also come from `REDISCLI_AUTH`.
public struct RedisURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var db: Int
    public var password: String?
    /// Several buses can share one Redis: keys are `b00t:{NAME}:…`.
    public var bus: String

    public init(host: String = "127.0.0.1", port: Int = 6379, db: Int = 0, password: String? = nil, bus: String = "default") {
        self.host = host
        self.port = port
        self.db = db
        self.password = password
        self.bus = bus
    }

    public init(parsing text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(BusError) {
        guard text.hasPrefix("redis://"), let url = URLComponents(string: text) else {
            throw .invalid("'\(text)' is not a redis:// URL (redis://host:port/db)")
        }
        host = url.host.map { $0.isEmpty ? "127.0.0.1" : $0 } ?? "127.0.0.1"
        port = url.port ?? 6379
        let path = url.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard path.isEmpty || Int(path) != nil else { throw .invalid("'\(text)': the path must be a database number (/0)") }
        db = Int(path) ?? 0
        password = url.password ?? environment["REDISCLI_AUTH"].flatMap { $0.isEmpty ? nil : $0 }
        bus = url.queryItems?.first { $0.name == "bus" }?.value ?? "default"
        guard (try? BusState.checkName(bus, what: "bus name")) != nil else { throw .invalid("'\(text)': bus name '\(bus)' must be letters, digits, '-', '_' or '.'") }
    }

    public var description: String { "redis://\(host):\(port)/\(db)" + (bus == "default" ? "" : "?bus=\(bus)") }
}
