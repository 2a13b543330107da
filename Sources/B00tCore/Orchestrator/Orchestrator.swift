import Foundation

/// Brings services up in dependency order and keeps that safe when many processes ask at once:
/// probe → (if needed) lock → probe again → start → wait for health → release. Silent unless `B00T_DEBUG=1`.
public final class Orchestrator: Sendable {
    public let catalog: DatumCatalog
    public let paths: B00tPaths
    public let environment: [String: String]
    public let debug: Bool
    let runtimes: [DatumType: any ServiceRuntime]
    /// Answers "healthy?" for a resolved health check: real probes by default, anything in tests of the
    /// orchestrator's own logic (ordering, locking, joining, timeouts) without starting daemons.
    let health: any HealthChecker
    let observer: (@Sendable (OrchestratorEvent) -> Void)?
    /// How long `stop` waits after SIGTERM before SIGKILL.
    public let grace: Duration
    let metrics: OrchestratorMetrics

    public init(
        catalog: DatumCatalog, paths: B00tPaths = .standard(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        runtimes: [DatumType: any ServiceRuntime]? = nil, grace: Duration = .seconds(5),
        health: any HealthChecker = ProbingHealthChecker(),
        observer: (@Sendable (OrchestratorEvent) -> Void)? = nil
    ) {
        self.health = health
        self.catalog = catalog
        self.paths = paths
        self.environment = Self.withDefaults(environment, paths: paths)
        self.debug = environment["B00T_DEBUG"].map { $0 == "1" || $0.lowercased() == "true" } ?? false
        self.runtimes = runtimes ?? [
            .process: ProcessRuntime(paths: paths),
            .docker: ContainerRuntime(engine: "docker"),
            .podman: ContainerRuntime(engine: "podman"),
        ]
        self.grace = grace
        self.observer = observer
        self.metrics = OrchestratorMetrics()
    }

    var graph: DependencyGraph { DependencyGraph(catalog: catalog) }

    /// b00t's own locations, available to datums as variables when the caller has not set them:
    /// `B00T_STATE_DIR`, `B00T_BUS_SOCKET`, and `B00T_BIN` (the `b00t` next to the running program).
    package static func withDefaults(_ environment: [String: String], paths: B00tPaths) -> [String: String] {
        var env = environment
        if env["B00T_STATE_DIR"]?.isEmpty ?? true { env["B00T_STATE_DIR"] = paths.stateDirectory }
        if env["B00T_BUS_SOCKET"]?.isEmpty ?? true { env["B00T_BUS_SOCKET"] = paths.runtimeDirectory + "/bus.sock" }
        if env["B00T_BIN"]?.isEmpty ?? true {
            let sibling = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
                .deletingLastPathComponent().appendingPathComponent("b00t").path
            env["B00T_BIN"] = FileManager.default.isExecutableFile(atPath: sibling) ? sibling : "b00t"
        }
        return env
    }

    /// Makes every service `references` need running and healthy, dependencies first. (The blocking work —
    /// locks, probes, backoff sleeps — runs on its own thread, never on the caller's executor.)
    public func ensureDependencies(_ references: String...) async throws -> EnsureReport {
        try await ensure(references)
    }

    /// The blocking core of `ensure`, for the async face and for tests.
    @discardableResult
    func ensureBlocking(_ references: [String]) throws -> EnsureReport {
        var report = EnsureReport()
        defer { if debug, !report.steps.isEmpty { FileHandle.standardError.write(Data((report.debugText + "\n").utf8)) } }
        for datum in try graph.order(references) where datum.type != .stack {
            let began = ContinuousClock.now
            do {
                let step = try ensureOne(datum)
                metrics.ensured(datum.id, outcome: step.outcome.rawValue, took: ContinuousClock.now - began)
                report.steps.append(step)
            } catch {
                metrics.failed(datum.id, error: error, took: ContinuousClock.now - began)
                throw error
            }
        }
        return report
    }

    func runtime(for datum: Datum) throws(OrchestratorError) -> any ServiceRuntime {
        guard let runtime = runtimes[datum.type] else { throw .notRunnable(datum.id, datum.type) }
        return runtime
    }

    func resolve(_ datum: Datum) -> ResolvedService { ResolvedService(datum, environment: environment) }

    private func ensureOne(_ datum: Datum) throws -> EnsureReport.Step {
        let runtime = try runtime(for: datum)
        let service = resolve(datum)
        let clock = ContinuousClock()
        let t0 = clock.now
        var status = runtime.status(of: service)
        if status.state == .running, let check = service.health {
            let probe = health.check(check)
            if probe.healthy { return step(datum.id, .warm, probe: clock.now - t0) }
            metrics.probeFailed(datum.id, detail: probe.detail)
        } else if status.state == .running, service.health == nil {
            return step(datum.id, .warm, probe: clock.now - t0)
        }

        // Not (yet) healthy: serialize with every other caller (up, stop, restart), then look again.
        let lock = try self.lock(service)
        defer { lock.release() }
        status = runtime.status(of: service)
        let probed = clock.now - t0
        switch status.state {
        case .running:
            let readyStart = clock.now
            _ = try waitUntilHealthy(service, runtime: runtime)
            return step(datum.id, .joined, probe: probed, ready: clock.now - readyStart)
        case .leaderExited:
            throw OrchestratorError.daemonized(datum.id, status.detail ?? "its leader exited")
        case .unknown where runtime.unknownMeansUntrusted:
            throw OrchestratorError.untrustedRecord(datum.id, status.detail ?? "its record cannot be trusted")
        case .crashed where service.restartPolicy == .no:
            throw OrchestratorError.crashed(datum.id, status.detail ?? "gone")
        case .unknown:
            try runtime.checkAvailable()
        default:
            break
        }
        let outcome: EnsureReport.Outcome = status.state == .crashed ? .restarted : .started
        observer?(.starting(datum.id))
        let startBegan = clock.now
        _ = try runtime.start(service, restarts: outcome == .restarted ? status.restarts + 1 : status.restarts)
        let started = clock.now - startBegan
        let readyBegan = clock.now
        do {
            _ = try waitUntilHealthy(service, runtime: runtime)
        } catch {
            // A service that never became healthy is not left running behind the error.
            try? runtime.stop(service, grace: grace)
            observer?(.failed(datum.id, "\(error)"))
            throw error
        }
        let ready = clock.now - readyBegan
        observer?(.ready(datum.id, ms: (started + ready).milliseconds))
        return step(datum.id, outcome, probe: probed, start: started, ready: ready)
    }

    /// The datum's lock (`<state>/locks/<id>.lock`), shared by `up`, `stop` and `restart` in every process.
    /// Waits at most `lockTimeout`; with `B00T_DEBUG=1` says whom it waits for after a second (not by default:
    /// k0mmand3r's screen shares the terminal, and the timeout error names the holder anyway).
    func lock(_ service: ResolvedService) throws -> FileLock {
        let directory = try paths.stateSubdirectory("locks")
        let id = service.id
        let announce = debug
        do {
            return try FileLock(path: "\(directory)/\(id).lock", timeout: lockTimeout(service)) { holder in
                guard announce else { return }
                let who = holder.map { "pid \($0)" + (FileLock.commandLine($0).map { " (\($0))" } ?? "") } ?? "another process"
                FileHandle.standardError.write(Data("⏳ \(id): waiting for \(who), which holds its lock\n".utf8))
            }
        } catch {
            throw OrchestratorError.lockTimeout(id, error.description)
        }
    }

    /// `lock_timeout_ms`, else how long a b00t may rightly hold the lock (the health wait budget) plus 30 s.
    func lockTimeout(_ service: ResolvedService) -> Duration {
        if let ms = service.datum.lockTimeoutMs { return .milliseconds(ms) }
        let budget = service.health?.waitBudgetMs ?? 0
        let (total, overflow) = budget.addingReportingOverflow(30_000)
        return .milliseconds(overflow ? Int.max : total)
    }

    /// Probes with exponential backoff from 10 ms (capped at `interval_ms`) until healthy, the deadline
    /// (`start_period_ms + retry_count × interval_ms`) passes, or the service dies.
    func waitUntilHealthy(_ service: ResolvedService, runtime: any ServiceRuntime) throws -> HealthResult {
        guard let check = service.health else {
            let status = runtime.status(of: service)
            guard status.state == .running else {
                throw OrchestratorError.startFailed(service.id, "exited right after starting",
                                                    logTail: runtime.logTail(service, lines: 20))
            }
            return .ok("running (no health check)")
        }
        let clock = ContinuousClock()
        let began = clock.now
        let interval = max(check.intervalMs, 10)
        let budgetMs = check.waitBudgetMs
        let deadline = began + .milliseconds(budgetMs)
        let spinner = Spinner.start(service.id)
        defer { spinner?.stop() }
        var delayMs = 10
        var last = HealthResult.failing("not probed yet")
        var checksSinceAliveCheck = 0
        while true {
            last = health.check(check)
            if last.healthy { return last }
            checksSinceAliveCheck += 1
            if checksSinceAliveCheck >= runtime.aliveCheckEvery {
                checksSinceAliveCheck = 0
                let status = runtime.status(of: service)
                if status.state == .leaderExited {
                    throw OrchestratorError.daemonized(service.id, status.detail ?? "its leader exited")
                }
                if status.state != .running && status.state != .unknown {
                    throw OrchestratorError.startFailed(
                        service.id, "exited while waiting for health (\(last.detail))",
                        logTail: runtime.logTail(service, lines: 20))
                }
            }
            if clock.now >= deadline {
                metrics.probeFailed(service.id, detail: last.detail, final: true)
                throw OrchestratorError.unhealthy(service.id, lastProbe: last.detail, waitedMs: budgetMs,
                                                  logTail: runtime.logTail(service, lines: 20))
            }
            Thread.sleep(forTimeInterval: Double(delayMs) / 1000)
            delayMs = min(delayMs * 2, interval)
        }
    }

    private func step(_ id: String, _ outcome: EnsureReport.Outcome, probe: Duration, start: Duration = .zero,
                      ready: Duration = .zero) -> EnsureReport.Step {
        EnsureReport.Step(id: id, outcome: outcome, probeMs: probe.milliseconds, startMs: start.milliseconds, readyMs: ready.milliseconds)
    }
}
