/// How the orchestrator decides a started service is ready. Exactly one probe kind is normally set;
/// with none, "running" is taken as healthy.
public struct HealthCheck: Hashable, Sendable, Codable {
    public var httpURL: String?
    public var tcp: String?
    /// A Unix socket path that must accept connections (the bus daemon).
    public var unix: String?
    public var exec: [String]?
    public var expectedStatus: Int
    public var intervalMs: Int
    public var timeoutMs: Int
    public var retryCount: Int
    public var startPeriodMs: Int

    public init(
        httpURL: String? = nil, tcp: String? = nil, unix: String? = nil, exec: [String]? = nil, expectedStatus: Int = 200,
        intervalMs: Int = 500, timeoutMs: Int = 2_000, retryCount: Int = 60, startPeriodMs: Int = 0
    ) {
        self.httpURL = httpURL
        self.tcp = tcp
        self.unix = unix
        self.exec = exec
        self.expectedStatus = expectedStatus
        self.intervalMs = intervalMs
        self.timeoutMs = timeoutMs
        self.retryCount = retryCount
        self.startPeriodMs = startPeriodMs
    }

    enum CodingKeys: String, CodingKey {
        case httpURL = "http_url", tcp, unix, exec, expectedStatus = "expected_status", intervalMs = "interval_ms"
        case timeoutMs = "timeout_ms", retryCount = "retry_count", startPeriodMs = "start_period_ms"
    }
}
