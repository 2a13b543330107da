import Foundation

/// A port mapping as written in datums: `"6333"`, `"6333:6333"` or `"127.0.0.1:6333:6333"`.
public struct PortSpec: Hashable, Sendable {
    public var hostIP: String?
    public var hostPort: Int
    public var containerPort: Int

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func port(_ s: String) -> Int? {
            let base = s.split(separator: "/").first.map(String.init) ?? s
            guard let p = Int(base), (1...65535).contains(p) else { return nil }
            return p
        }
        switch parts.count {
        case 1:
            guard let p = port(parts[0]) else { return nil }
            hostPort = p; containerPort = p
        case 2:
            guard let h = port(parts[0]), let c = port(parts[1]) else { return nil }
            hostPort = h; containerPort = c
        case 3:
            guard !parts[0].isEmpty, let h = port(parts[1]), let c = port(parts[2]) else { return nil }
            hostIP = parts[0]; hostPort = h; containerPort = c
        default: return nil
        }
    }
}

/// `host:port` as written in `health_check.tcp`.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let p = Int(text[text.index(after: colon)...]),
              (1...65535).contains(p)
        else { return nil }
        let h = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        host = h.isEmpty ? "127.0.0.1" : h
        port = p
    }

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}
