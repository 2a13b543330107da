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
        #expect(throws: OrchestratorError.notRunnable("rust.cli", .cli)) { try orchestrator.ensureBlocking(["rust.cli"]) }
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
            .init(id: "redis.process", outcome: .warm, probeMs: 0.31, startMs: 0, readyMs: 0),
            .init(id: "web.process", outcome: .started, probeMs: 1, startMs: 2.25, readyMs: 30),
        ]
        #expect(report.debugText == """
        🚀 Started dependencies: web.process
        ⏱  redis.process: warm (probe 0.3 ms, start 0.0 ms, ready 0.0 ms)
        ⏱  web.process: started (probe 1.0 ms, start 2.2 ms, ready 30.0 ms)
        """)
    }
}

@Suite struct DependencyGraphScaleTests {
    /// A 10,000-long `depends_on` chain of stacks overflowed the stack in the recursive ordering.
    @Test func longChainsOrderWithoutRecursion() throws {
        var datums = [Datum(name: "leaf", type: .process, command: "true")]
        for i in 0..<10_000 {
            datums.append(Datum(name: "s\(i)", type: .stack, dependsOn: [i == 0 ? "leaf.process" : "s\(i - 1).stack"]))
        }
        let order = try DependencyGraph(catalog: DatumCatalog(datums: datums)).order(["s9999.stack"])
        #expect(order.count == 10_001)
        #expect(order.first?.id == "leaf.process")
        #expect(order.last?.id == "s9999.stack")
        var cyclic = datums
        cyclic[0].dependsOn = ["s9999.stack"]
        #expect(throws: OrchestratorError.self) {
            try DependencyGraph(catalog: DatumCatalog(datums: cyclic)).order(["s0.stack"])
        }
    }

    @Test func problemsListMissingDependenciesAndEachCycleOnce() {
        let catalog = DatumCatalog(datums: [
            Datum(name: "a", type: .process, dependsOn: ["b.process"], command: "true"),
            Datum(name: "b", type: .process, dependsOn: ["a.process"], command: "true"),
            Datum(name: "c", type: .process, dependsOn: ["ghost.process"], command: "true"),
            Datum(name: "s", type: .stack, members: ["c.process", "nope"]),
        ])
        let problems = DependencyGraph(catalog: catalog).problems()
        #expect(problems.count == 3)
        #expect(problems.contains { $0.key == "b00t.depends_on[0]" && $0.message.hasPrefix("no datum 'ghost.process'") })
        #expect(problems.contains { $0.key == "b00t.members[1]" && $0.message.hasPrefix("no datum 'nope'") })
        #expect(problems.filter { $0.message.hasPrefix("dependency cycle: a.process → b.process → a.process") }.count == 1)
    }
}
