import Testing
@testable import B00tCore

@Suite struct DependencyGraphTests {
    func graph(_ datums: [Datum]) -> DependencyGraph { DependencyGraph(catalog: DatumCatalog(datums: datums)) }

    @Test func ordersDependenciesFirstThroughStacks() throws {
        let g = graph([
            Datum(name: "db", type: .process),
            Datum(name: "cache", type: .process),
            Datum(name: "api", type: .process, dependsOn: ["db.process", "cache"]),
            Datum(name: "all", type: .stack, members: ["api.process", "db.process"]),
        ])
        #expect(try g.order(["all.stack"]).map(\.id) == ["db.process", "cache.process", "api.process", "all.stack"])
        #expect(g.dependents(of: "db.process").map(\.id) == ["all.stack", "api.process"])
    }

    @Test func cycleErrorPrintsThePath() {
        let g = graph([
            Datum(name: "a", type: .process, dependsOn: ["b.process"]),
            Datum(name: "b", type: .process, dependsOn: ["c.process"]),
            Datum(name: "c", type: .process, dependsOn: ["a.process"]),
        ])
        #expect(throws: OrchestratorError.cycle(["a.process", "b.process", "c.process", "a.process"])) {
            try g.order(["a.process"])
        }
        #expect(OrchestratorError.cycle(["a.process", "b.process", "a.process"]).description
                .hasPrefix("dependency cycle: a.process → b.process → a.process"))
    }

    @Test func missingDatumNamesWhoAskedForIt() {
        let g = graph([Datum(name: "s", type: .stack, members: ["qdrant.dokcer"]), Datum(name: "qdrant", type: .docker)])
        #expect(throws: OrchestratorError.missingDatum("qdrant.dokcer", neededBy: "s.stack members", suggestion: "qdrant.docker")) {
            try g.order(["s.stack"])
        }
        #expect("\(OrchestratorError.missingDatum("x", neededBy: "s.stack members", suggestion: nil))"
                == "no datum 'x' (needed by s.stack members); `b00t datum list` shows what exists")
    }

    @Test func nonRunnableTypesAreRefused() {
        let orchestrator = Orchestrator(catalog: DatumCatalog(datums: [Datum(name: "rust", type: .cli)]),
                                        paths: B00tPaths(stateDirectory: "/tmp/b00t-unused"))
        #expect(throws: OrchestratorError.notRunnable("rust.cli", .cli)) { try orchestrator.ensure(["rust.cli"]) }
    }

    @Test func environmentExpandsIntoArgvPortsAndHealth() {
        let datum = Datum(name: "r", type: .process, env: ["MODE": "${MODE:-dev}"], ports: ["${P:-6391}"],
                          command: "redis-server", args: ["--port", "${P:-6391}"],
                          healthCheck: HealthCheck(tcp: "127.0.0.1:${P:-6391}"))
        let custom = ResolvedService(datum, environment: ["P": "7000"])
        #expect(custom.argv == ["redis-server", "--port", "7000"])
        #expect(custom.ports.first?.hostPort == 7000)
        #expect(custom.health?.tcp == "127.0.0.1:7000")
        #expect(custom.environment["MODE"] == "dev")
        let defaults = ResolvedService(datum, environment: [:])
        #expect(defaults.argv == ["redis-server", "--port", "6391"])
        // A port with no health check gets a tcp probe on it.
        let bare = ResolvedService(Datum(name: "x", type: .process, ports: ["8080"], command: "x"), environment: [:])
        #expect(bare.health?.tcp == "127.0.0.1:8080")
    }

    @Test func debugTextFormat() {
        var report = EnsureReport()
        report.steps = [
            .init(id: "redis.process", outcome: .warm, probeMs: 0.31, startMs: 0, readyMs: 0, healthDetail: ""),
            .init(id: "web.process", outcome: .started, probeMs: 1, startMs: 2.25, readyMs: 30, healthDetail: ""),
        ]
        #expect(report.debugText == """
        🚀 Started dependencies: web.process
        ⏱  redis.process: warm (probe 0.3 ms, start 0.0 ms, ready 0.0 ms)
        ⏱  web.process: started (probe 1.0 ms, start 2.2 ms, ready 30.0 ms)
        """)
    }
}
