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
        let shown = TerminalText.line(String(text.prefix(120)))
        guard text.hasPrefix("redis://"), text.count <= 2_048, let url = URLComponents(string: text) else {
            throw .invalid("'\(shown)' is not a redis:// URL (redis://[:PASSWORD@]HOST[:PORT][/DB][?bus=NAME])")
        }
        var parsedHost = url.host ?? ""
        if parsedHost.hasPrefix("["), parsedHost.hasSuffix("]") { parsedHost = String(parsedHost.dropFirst().dropLast()) }  // [::1]
        guard !parsedHost.isEmpty else { throw .invalid("'\(shown)': no host (redis://HOST:PORT/DB; 127.0.0.1 for this machine)") }
        guard parsedHost.count <= 253,
              parsedHost.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-.:_%".unicodeScalars.contains($0) })
        else { throw .invalid("'\(shown)': host '\(TerminalText.line(String(parsedHost.prefix(60))))' is not a host name or address") }
        host = parsedHost
        if let given = url.port {
            guard (1...65_535).contains(given) else { throw .invalid("'\(shown)': port \(given) is outside 1–65535") }
            port = given
        } else {
            port = 6379
        }
        let path = url.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        guard path.isEmpty || Int(path).map({ (0...15_999).contains($0) }) == true else {
            throw .invalid("'\(shown)': the path must be a database number (/0)")
        }
        db = Int(path) ?? 0
        password = url.password ?? environment["REDISCLI_AUTH"].flatMap { $0.isEmpty ? nil : $0 }
        bus = url.queryItems?.first { $0.name == "bus" }?.value ?? "default"
        guard (try? BusState.checkName(bus, what: "bus name")) != nil else {
            throw .invalid("'\(shown)': bus name '\(TerminalText.line(bus))' must be 1–64 letters, digits, '-', '_' or '.'")
        }
    }

    public var description: String { "redis://\(host):\(port)/\(db)" + (bus == "default" ? "" : "?bus=\(bus)") }
}
