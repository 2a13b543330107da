import Foundation

/// Where `/metrics` listens: `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `:9464` for 127.0.0.1). Loopback
/// only unless the caller allows other addresses: metrics describe a person's crew (agent counts, traffic),
/// and the listener has no authentication.
public struct MetricsAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public static func parse(_ text: String, allowRemote: Bool = false) throws(MetricsAddressError) -> MetricsAddress {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var host: Substring
        let portText: Substring
        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else { throw .malformed(text) }
            host = trimmed[trimmed.index(after: trimmed.startIndex)..<close]
            let rest = trimmed[trimmed.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .malformed(text) }
            portText = rest.dropFirst()
        } else {
            guard let colon = trimmed.lastIndex(of: ":") else { throw .malformed(text) }
            host = trimmed[..<colon]
            portText = trimmed[trimmed.index(after: colon)...]
            if host.contains(":") { throw .malformed(text) }
        }
        if host.isEmpty { host = "127.0.0.1" }
        guard let port = Int(portText), (0...65_535).contains(port) else { throw .badPort(String(portText)) }
        let address = MetricsAddress(host: String(host), port: port)
        if !allowRemote && !address.isLoopback { throw .notLoopback(address.host) }
        return address
    }

    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

public enum MetricsAddressError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case badPort(String)
    case notLoopback(String)

    public var code: String { "metrics_address" }

    public var description: String {
        switch self {
        case .malformed(let text):
            return "'\(TerminalText.line(text))' is not HOST:PORT; write it like 127.0.0.1:9464 (or [::1]:9464)"
        case .badPort(let text):
            return "port '\(TerminalText.line(text))' must be a number in 0–65535 (0: any free port)"
        case .notLoopback(let host):
            return "\(TerminalText.line(host)) is not a loopback address; /metrics has no authentication, so it listens on 127.0.0.1 or ::1 unless you add --metrics-allow-remote"
        }
    }
}
