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
}
