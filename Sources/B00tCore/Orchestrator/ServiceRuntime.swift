/// How one kind of datum is started, observed and stopped. The orchestrator owns ordering, locking and
/// health; a runtime only knows its mechanism (a daemon from argv, a container engine's CLI).
public protocol ServiceRuntime: Sendable {
    /// `process`, `docker`, `podman`: shown by `ps`.
    var name: String { get }
    func status(of service: ResolvedService) -> ServiceStatus
    /// Starts a service known not to be running; returns once it is launched (not yet healthy).
    func start(_ service: ResolvedService, restarts: Int) throws -> ServiceStatus
    /// Stops it and forgets it (a stopped service is not "crashed"). Stopping a stopped service succeeds.
    func stop(_ service: ResolvedService, grace: Duration) throws
    /// The last `lines` lines of its output, for error messages and `b00t logs`.
    func logTail(_ service: ResolvedService, lines: Int) -> String
    /// argv that follows its log (`tail -F FILE`, `docker logs -f NAME`).
    func followLogsCommand(_ service: ResolvedService) -> [String]
    /// While waiting for health, ask every this-many probes whether it still runs.
    var aliveCheckEvery: Int { get }
    /// Whether `unknown` means a record b00t must not act on, rather than a mechanism that cannot answer.
    var unknownMeansUntrusted: Bool { get }
    /// Throws, with what to do, when the mechanism itself is missing.
    func checkAvailable() throws
}

extension ServiceRuntime {
    /// While waiting for health, ask every this-many probes whether the service still runs (a `process` is
    /// cheap to look at: every time; a container engine's CLI is not: every tenth).
    public var aliveCheckEvery: Int { 1 }
    /// Whether an `unknown` state means a record b00t must not act on (a process record that failed its
    /// checks), rather than a mechanism that cannot answer right now (no container engine).
    public var unknownMeansUntrusted: Bool { false }
    /// Throws, with what to do, when the mechanism itself is missing (no engine answers `docker info`).
    public func checkAvailable() throws {}
}

/// Answers "is it healthy?" for a service's health check.
public protocol HealthChecker: Sendable {
    func check(_ health: HealthCheck) -> HealthResult
}

/// The real one: HTTP, TCP, Unix-socket or exec probes, each bounded in time and size.
public struct ProbingHealthChecker: HealthChecker {
    public init() {}
    public func check(_ health: HealthCheck) -> HealthResult { HealthProbe.check(health) }
}
