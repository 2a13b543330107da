import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// The orchestrator's own rules — order, warm vs cold, joining, giving up, cleaning up, refusing what it cannot
/// run — with a runtime and a health checker in memory: no daemons, no engine, milliseconds per test. (The real
/// daemons are in IntegrationTests.)
@Suite struct OrchestratorLogicTests {
    /// A runtime that remembers what it was asked and lets the test decide what it sees.
    final class FakeRuntime: ServiceRuntime, @unchecked Sendable {
        let name: String
        private let lock = NSLock()
        private var running: Set<String> = []
        private(set) var log: [String] = []
        var states: [String: ServiceStatus.State] = [:]
        var available = true
        var aliveCheckEvery: Int { 1 }
        var unknownMeansUntrusted: Bool { false }

        init(name: String = "fake") { self.name = name }

        /// Every datum `status` was asked about, in order.
        private(set) var asked: [String] = []
        var askedAbout: [String] { lock.withLock { asked } }

        func status(of service: ResolvedService) -> ServiceStatus {
            lock.withLock {
                asked.append(service.id)
                let state = states[service.id] ?? (running.contains(service.id) ? .running : .stopped)
                return ServiceStatus(id: service.id, runtime: name, state: state)
            }
        }
        func start(_ service: ResolvedService, restarts: Int) throws -> ServiceStatus {
            lock.withLock {
                log.append("start \(service.id)")
                running.insert(service.id)
            }
            return status(of: service)
        }
        func stop(_ service: ResolvedService, grace: Duration) throws {
            lock.withLock {
                log.append("stop \(service.id)")
                running.remove(service.id)
            }
        }
        func logTail(_ service: ResolvedService, lines: Int) -> String { "last words of \(service.id)" }
        func followLogsCommand(_ service: ResolvedService) -> [String] { ["tail", "-F", service.id] }
        func checkAvailable() throws {
            guard available else { throw OrchestratorError.startFailed("engine", "no engine answers", logTail: "") }
        }
        var calls: [String] { lock.withLock { log } }
    }

    /// Healthy only for the ids it is told.
    final class FakeHealth: HealthChecker, @unchecked Sendable {
        private let lock = NSLock()
        private var healthy: Set<String> = []
        func set(_ tcp: String, _ ok: Bool) { lock.withLock { if ok { healthy.insert(tcp) } else { healthy.remove(tcp) } } }
        func check(_ health: HealthCheck) -> HealthResult {
            lock.withLock { healthy.contains(health.tcp ?? "") ? .ok("up") : .failing("refused") }
        }
    }

    func datum(_ name: String, dependsOn: [String] = [], retries: Int = 3) -> Datum {
        Datum(name: name, type: .process, dependsOn: dependsOn, command: "true",
              healthCheck: HealthCheck(tcp: name, intervalMs: 10, retryCount: retries))
    }

    func orchestrator(_ datums: [Datum], _ runtime: FakeRuntime, _ health: FakeHealth) -> Orchestrator {
        Orchestrator(catalog: DatumCatalog(datums: datums), paths: B00tPaths(stateDirectory: TempDir("bus", keep: true).path),
                     environment: [:], runtimes: [.process: runtime], health: health)
    }

    /// k0mmand3r's services pane asks only about what it shows: it asked about every datum and filtered after,
    /// so an idle k0mmand3r ran `docker inspect` for each container datum once a second.
    @Test func statusOfAsksOnlyAboutTheDatumsIncluded() async throws {
        let process = FakeRuntime(name: "process"), docker = FakeRuntime(name: "docker")
        let web = Datum(name: "web", type: .docker, dependsOn: ["bus.process"])
        let o = Orchestrator(catalog: DatumCatalog(datums: [datum("bus"), web]),
                             paths: B00tPaths(stateDirectory: TempDir("bus", keep: true).path), environment: [:],
                             runtimes: [.process: process, .docker: docker], health: FakeHealth())
        let statuses = try await o.status(of: { $0.type == .process })
        #expect(statuses.map(\.id) == ["bus.process"])
        #expect(docker.askedAbout.isEmpty, "the container engine was not asked")
        #expect(process.askedAbout == ["bus.process"])
        // And the whole catalog when everything is included, as `b00t ps` asks.
        #expect(try await o.status(of: { _ in true }).map(\.id).sorted() == ["bus.process", "web.docker"])
    }

    @Test func startsInOrderAndIsWarmTheSecondTime() async throws {
        let runtime = FakeRuntime(), health = FakeHealth()
        for name in ["db", "api"] { health.set(name, true) }
        let o = orchestrator([datum("db"), datum("api", dependsOn: ["db.process"])], runtime, health)
        let cold = try await o.ensure(["api.process"])
        #expect(runtime.calls == ["start db.process", "start api.process"])
        #expect(cold.started == ["db.process", "api.process"])
        let warm = try await o.ensure(["api.process"])
        #expect(warm.started.isEmpty)
        #expect(runtime.calls.count == 2)
    }

    @Test func runningButUnhealthyIsJoinedNotStartedTwice() async throws {
        let runtime = FakeRuntime(), health = FakeHealth()
        runtime.states["db.process"] = .running  // someone else started it; its health comes a moment later
        let o = orchestrator([datum("db", retries: 50)], runtime, health)
        let later = Task {
            try await Task.sleep(for: .milliseconds(50))
            health.set("db", true)
        }
        let report = try await o.ensure(["db.process"])
        try await later.value
        #expect(runtime.calls.isEmpty)
        #expect(report.steps.first?.outcome == .joined)
    }

    @Test func neverHealthyIsStoppedAndNamesTheLastProbe() async throws {
        let runtime = FakeRuntime(), health = FakeHealth()
        let o = orchestrator([datum("sick", retries: 3)], runtime, health)
        await #expect {
            try await o.ensure(["sick.process"])
        } throws: { error in
            guard case OrchestratorError.unhealthy(let id, let last, _, let tail) = error else { return false }
            return id == "sick.process" && last == "refused" && tail == "last words of sick.process"
        }
        #expect(runtime.calls == ["start sick.process", "stop sick.process"])  // not left running behind the error
    }

    @Test func aMissingMechanismIsRefusedBeforeAnythingStarts() async throws {
        let runtime = FakeRuntime(), health = FakeHealth()
        runtime.states["q.process"] = .unknown
        runtime.available = false
        let o = orchestrator([datum("q")], runtime, health)
        await #expect(throws: OrchestratorError.self) { try await o.ensure(["q.process"]) }
        #expect(runtime.calls.isEmpty)
    }

    @Test func crashedWithRestartPolicyNoIsNotRestarted() async throws {
        let runtime = FakeRuntime(), health = FakeHealth()
        runtime.states["c.process"] = .crashed
        var d = datum("c")
        d.resources = Resources(restartPolicy: .no)
        let o = orchestrator([d], runtime, health)
        await #expect(throws: OrchestratorError.self) { try await o.ensure(["c.process"]) }
        #expect(runtime.calls.isEmpty)
    }
}
