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

    // Allowed ranges, checked where a datum is read (and documented in README "Datums"): wide enough for any
    // real service, small enough that `start_period_ms + retry_count × interval_ms` cannot overflow.
    public static let statusRange = 100...599
    public static let intervalRange = 1...600_000
    public static let timeoutRange = 1...600_000
    public static let retryRange = 0...100_000
    public static let startPeriodRange = 0...3_600_000

    /// How long the orchestrator waits for health after a start: `start_period_ms + max(retry_count, 1) ×
    /// max(interval_ms, 10)`, saturating instead of overflowing for values that did not come from a datum.
    public var waitBudgetMs: Int {
        let interval = max(intervalMs, 10)
        let (product, overflow) = max(retryCount, 1).multipliedReportingOverflow(by: interval)
        let (sum, overflow2) = max(startPeriodMs, 0).addingReportingOverflow(product)
        return overflow || overflow2 ? Int.max : sum
    }

    enum CodingKeys: String, CodingKey {
        case httpURL = "http_url", tcp, unix, exec, expectedStatus = "expected_status", intervalMs = "interval_ms"
        case timeoutMs = "timeout_ms", retryCount = "retry_count", startPeriodMs = "start_period_ms"
    }
}
