#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One health probe's verdict, with the detail an error message shows ("connection refused", "HTTP 503").
public struct HealthResult: Sendable, Equatable, CustomStringConvertible {
    public var healthy: Bool
    public var detail: String

    public static func ok(_ detail: String) -> HealthResult { HealthResult(healthy: true, detail: detail) }
    public static func failing(_ detail: String) -> HealthResult { HealthResult(healthy: false, detail: detail) }
    public var description: String { (healthy ? "healthy: " : "unhealthy: ") + detail }
}

/// Runs the probes a `health_check` table describes. Each is a single attempt bounded by `timeout_ms` of
/// wall-clock time (connect, send and receive together) and, for HTTP, by `maximumResponseBytes`: a server
/// that streams bytes without ever ending its status line cannot hold `up` or `ps`. The orchestrator
/// supplies the retry loop and backoff.
public enum HealthProbe {
    /// An HTTP status line longer than this is not one.
    public static let maximumResponseBytes = 8 * 1024

    public static func check(_ health: HealthCheck) -> HealthResult {
        let timeout = min(max(health.timeoutMs, 1), HealthCheck.timeoutRange.upperBound)
        if let url = health.httpURL {
            return http(url, expectedStatus: health.expectedStatus, timeoutMs: timeout)
        }
        if let tcp = health.tcp {
            guard let address = HostPort(tcp) else { return .failing("invalid tcp address '\(tcp)'") }
            return self.tcp(address, timeoutMs: timeout)
        }
        if let path = health.unix {
            return unix(path, timeoutMs: timeout)
        }
        if let argv = health.exec {
            return exec(argv, timeoutMs: timeout)
        }
        return .ok("no health check")
    }

    /// Connects within the timeout; returns the connected socket (caller closes) or a failure detail.
    static func connect(_ address: HostPort, timeoutMs: Int) -> Result<Int32, HealthFailure> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var info: UnsafeMutablePointer<addrinfo>? = nil
        let rc = getaddrinfo(address.host, String(address.port), &hints, &info)
        guard rc == 0, let first = info else {
            return .failure(HealthFailure("cannot resolve \(address.host): \(String(cString: gai_strerror(rc)))"))
        }
        defer { freeaddrinfo(info) }
        let fd = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failure(HealthFailure("socket: \(String(cString: strerror(errno)))")) }
        if Glibc.connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            guard errno == EINPROGRESS else {
                let reason = String(cString: strerror(errno))
                close(fd)
                return .failure(HealthFailure("connect \(address): \(reason)"))
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&pfd, 1, Int32(clamping: timeoutMs))
            guard ready > 0 else {
                close(fd)
                return .failure(HealthFailure("connect \(address): timed out after \(timeoutMs) ms"))
            }
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            guard soError == 0 else {
                close(fd)
                return .failure(HealthFailure("connect \(address): \(String(cString: strerror(soError)))"))
            }
        }
        return .success(fd)
    }

    public static func tcp(_ address: HostPort, timeoutMs: Int) -> HealthResult {
        switch connect(address, timeoutMs: timeoutMs) {
        case .success(let fd):
            close(fd)
            return .ok("tcp \(address) accepts connections")
        case .failure(let failure): return .failing(failure.detail)
        }
    }

    /// Connects to a Unix stream socket without blocking: a listener whose backlog is full answers EAGAIN
    /// at once instead of holding the probe.
    public static func unix(_ path: String, timeoutMs: Int) -> HealthResult {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return .failing("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return .failing("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result == 0 { return .ok("unix \(path) accepts connections") }
        let code = errno
        if code == EINPROGRESS {
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&pfd, 1, Int32(clamping: timeoutMs)) > 0 { return .ok("unix \(path) accepts connections") }
            return .failing("connect unix \(path): timed out after \(timeoutMs) ms")
        }
        if code == EAGAIN { return .failing("connect unix \(path): its listen backlog is full") }
        return .failing("connect unix \(path): \(String(cString: strerror(code)))")
    }

    /// A minimal HTTP/1.1 GET: enough to read a status line without pulling in an HTTP client stack.
    public static func http(_ text: String, expectedStatus: Int, timeoutMs: Int) -> HealthResult {
        guard let url = URL(string: text), url.scheme == "http", let host = url.host else {
            return .failing("invalid http_url '\(text)' (only http:// is probed)")
        }
        let address = HostPort(host: host, port: url.port ?? 80)
        let began = ContinuousClock.now
        let fd: Int32
        switch connect(address, timeoutMs: timeoutMs) {
        case .success(let s): fd = s
        case .failure(let failure): return .failing(failure.detail)
        }
        defer { close(fd) }
        let path = url.path.isEmpty ? "/" : url.path + (url.query.map { "?\($0)" } ?? "")
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host):\(address.port)\r\nUser-Agent: b00t-health\r\nConnection: close\r\n\r\n"
        let deadline = began + .milliseconds(timeoutMs)
        var bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            if n < 0 && (errno == EAGAIN || errno == EINTR) {
                guard waitFor(fd, events: POLLOUT, until: deadline) else { return .failing("GET \(text): timed out") }
                continue
            }
            return .failing("GET \(text): \(String(cString: strerror(errno)))")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1024)
        while !response.contains(10) {
            // The deadline holds however fast the server sends: a stream without a newline ends here.
            guard ContinuousClock.now < deadline else {
                return .failing("GET \(text): no complete status line within \(timeoutMs) ms")
            }
            guard response.count < maximumResponseBytes else {
                return .failing("GET \(text): no HTTP status line in the first \(maximumResponseBytes) bytes")
            }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0 { response += buffer[0..<n]; continue }
            if n == 0 { break }
            if errno == EAGAIN || errno == EINTR {
                guard waitFor(fd, events: POLLIN, until: deadline) else { return .failing("GET \(text): no response in \(timeoutMs) ms") }
                continue
            }
            return .failing("GET \(text): \(String(cString: strerror(errno)))")
        }
        let statusLine = String(decoding: response.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            return .failing("GET \(text): not an HTTP response ('\(statusLine.prefix(40))')")
        }
        return status == expectedStatus
            ? .ok("GET \(text) → \(status)")
            : .failing("GET \(text) → \(status), expected \(expectedStatus)")
    }

    private static func waitFor(_ fd: Int32, events: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        let remaining = deadline - ContinuousClock.now
        let ms = Int32(clamping: max(0, remaining.wholeMilliseconds))
        guard ms > 0 else { return false }
        var pfd = pollfd(fd: fd, events: Int16(events), revents: 0)
        return poll(&pfd, 1, ms) > 0
    }

    /// Runs the command in its own process group, so a timeout kills whatever it started too.
    public static func exec(_ argv: [String], timeoutMs: Int) -> HealthResult {
        let pid: pid_t
        do { pid = try Spawn.start(argv, options: .init(newSession: true)) } catch { return .failing("\(error)") }
        guard let status = Spawn.wait(pid, timeout: .milliseconds(timeoutMs), killGroup: true) else {
            return .failing("\(argv.joined(separator: " ")) timed out after \(timeoutMs) ms")
        }
        return status == 0 ? .ok("\(argv[0]) exited 0") : .failing("\(argv.joined(separator: " ")) exited \(status)")
    }
}

struct HealthFailure: Error {
    var detail: String
    init(_ detail: String) { self.detail = detail }
}
