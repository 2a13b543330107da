#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import B00tCore

/// Real daemons (redis-server, python3 -m http.server) started, probed, killed and stopped.
@Suite(.serialized) struct OrchestratorProcessTests {
    @Test func coldThenWarmThenStop() throws {
        let sandbox = ServiceSandbox()
        let port = freePort()
        sandbox.redis(port: port)
        let orchestrator = sandbox.orchestrator()

        let cold = try orchestrator.ensureBlocking(["redis.process"])
        #expect(cold.started == ["redis.process"])
        #expect(HealthProbe.tcp(HostPort(host: "127.0.0.1", port: port), timeoutMs: 500).healthy)
        let status = try #require(try orchestrator.statusBlocking(["redis.process"]).first)
        #expect(status.state == .running)
        #expect(status.health == "healthy")
        let pid = try #require(status.pid)
        // Own session and process group: it outlives the caller and stops as a group.
        #expect(getsid(pid) == pid)
        #expect(getpgid(pid) == pid)

        let warm = try orchestrator.ensureBlocking(["redis.process"])
        #expect(warm.started == [])
        #expect(warm.steps.map(\.outcome) == [.warm])

        let stopped = try orchestrator.stopBlocking("redis.process")
        #expect(stopped.stopped == ["redis.process"])
        #expect(!ProcFS.isAlive(pid))
        #expect(try orchestrator.statusBlocking(["redis.process"]).first?.state == .stopped)
        // State is private to the user.
        let attributes = try FileManager.default.attributesOfItem(atPath: sandbox.state.path + "/services")
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
    }

    @Test func twoLevelStackWithHTTPService() throws {
        let sandbox = ServiceSandbox()
        let redisPort = freePort(), webPort = freePort()
        sandbox.redis(port: redisPort)
        sandbox.write("web.process.toml", """
        [b00t]
        name = "web"
        type = "process"
        command = "python3"
        args = ["-m", "http.server", "\(webPort)", "--bind", "127.0.0.1"]
        depends_on = ["redis.process"]
        [b00t.health_check]
        http_url = "http://127.0.0.1:\(webPort)/"
        expected_status = 200
        interval_ms = 25
        retry_count = 400
        """)
        sandbox.write("app.stack.toml", "[b00t]\nname = \"app\"\ntype = \"stack\"\nmembers = [\"web.process\"]\n")
        let orchestrator = sandbox.orchestrator()
        let report = try orchestrator.ensureBlocking(["app.stack"])
        #expect(report.started == ["redis.process", "web.process"])
        #expect(HealthProbe.http("http://127.0.0.1:\(webPort)/", expectedStatus: 200, timeoutMs: 1000).healthy)

        // Stopping redis alone is refused while web (running) needs it.
        #expect(throws: OrchestratorError.stillNeeded("redis.process", dependents: ["web.process"])) {
            try orchestrator.stopBlocking("redis.process")
        }
        // The stack stops its members in reverse dependency order.
        let stopped = try orchestrator.stopBlocking("app.stack")
        #expect(stopped.stopped == ["web.process", "redis.process"])
        #expect(!HealthProbe.tcp(HostPort(host: "127.0.0.1", port: webPort), timeoutMs: 200).healthy)
    }

    @Test func killedServiceIsRestartedByEnsure() throws {
        let sandbox = ServiceSandbox()
        let port = freePort()
        sandbox.redis(port: port)
        let orchestrator = sandbox.orchestrator()
        try orchestrator.ensureBlocking(["redis.process"])
        let pid = try #require(try orchestrator.statusBlocking(["redis.process"]).first?.pid)
        kill(pid, SIGKILL)
        while ProcFS.isAlive(pid) { usleep(1000) }
        #expect(try orchestrator.statusBlocking(["redis.process"]).first?.state == .crashed)

        let report = try orchestrator.ensureBlocking(["redis.process"])
        #expect(report.steps.map(\.outcome) == [.restarted])
        let after = try #require(try orchestrator.statusBlocking(["redis.process"]).first)
        #expect(after.state == .running)
        #expect(after.pid != pid)
        #expect(after.restarts == 1)
    }

    @Test func restartPolicyNoRefusesToRestartACrash() throws {
        let sandbox = ServiceSandbox()
        sandbox.redis(port: freePort(), policy: "no")
        let orchestrator = sandbox.orchestrator()
        try orchestrator.ensureBlocking(["redis.process"])
        let pid = try #require(try orchestrator.statusBlocking(["redis.process"]).first?.pid)
        kill(pid, SIGKILL)
        while ProcFS.isAlive(pid) { usleep(1000) }
        #expect(throws: OrchestratorError.self) { try orchestrator.ensureBlocking(["redis.process"]) }
        // An explicit restart brings it back.
        try orchestrator.restartBlocking("redis.process")
        #expect(try orchestrator.statusBlocking(["redis.process"]).first?.state == .running)
    }

    @Test func serviceThatNeverGetsHealthyReportsLastProbeAndLog() throws {
        let sandbox = ServiceSandbox()
        let port = freePort()
        sandbox.write("mute.process.toml", """
        [b00t]
        name = "mute"
        command = "python3"
        args = ["-c", "import time; print('warming up forever', flush=True); time.sleep(30)"]
        [b00t.health_check]
        tcp = "127.0.0.1:\(port)"
        interval_ms = 20
        retry_count = 10
        """)
        let orchestrator = sandbox.orchestrator()
        do {
            try orchestrator.ensureBlocking(["mute.process"])
            Issue.record("expected unhealthy")
        } catch let error as OrchestratorError {
            guard case .unhealthy(let id, let probe, let waited, let tail) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(id == "mute.process")
            #expect(probe.contains("refused"))
            #expect(waited == 200)
            #expect(tail.contains("warming up forever"))
        }
    }

    @Test func serviceThatExitsAtOnceFailsFastWithItsLog() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("crashy.process.toml", """
        [b00t]
        name = "crashy"
        command = "python3"
        args = ["-c", "import sys; print('bad config on line 3', file=sys.stderr); sys.exit(3)"]
        [b00t.health_check]
        tcp = "127.0.0.1:\(freePort())"
        interval_ms = 50
        retry_count = 1000
        """)
        let began = Date()
        #expect {
            try sandbox.orchestrator().ensureBlocking(["crashy.process"])
        } throws: { error in
            "\(error)".contains("bad config on line 3") && "\(error)".contains("exited")
        }
        #expect(Date().timeIntervalSince(began) < 10)
    }

    /// Regression (walk-through): a service this process started and that then ended stayed a zombie for as
    /// long as this process lived (a k0mmand3r that started the daemon, a `bus tail` retrying a broken datum).
    @Test func aServiceThatEndsIsReaped() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("brief.process.toml", """
        [b00t]
        name = "brief"
        command = "sleep"
        args = ["0.3"]
        """)
        let orchestrator = sandbox.orchestrator(environment: ["B00T_BIN": Binaries.path("b00t")])
        _ = try orchestrator.ensureBlocking(["brief.process"])
        let pid = try #require(try orchestrator.statusBlocking(["brief.process"]).first?.pid)
        let deadline = Date().addingTimeInterval(5)
        while FileManager.default.fileExists(atPath: "/proc/\(pid)"), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? "gone"
        #expect(state == "gone", "the ended service is still in the process table: \(state)")
    }

    @Test func missingProgramIsAClearError() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("nope.process.toml", "[b00t]\nname = \"nope\"\ncommand = \"no-such-program-b00t\"\n")
        #expect {
            try sandbox.orchestrator().ensureBlocking(["nope.process"])
        } throws: { error in
            "\(error)".contains("no-such-program-b00t") && "\(error)".contains("not found on PATH")
        }
        // An absolute path is not looked up on PATH: say the file is missing (walk-through).
        sandbox.write("gone.process.toml", "[b00t]\nname = \"gone\"\ncommand = \"/nonexistent/b00t\"\n")
        #expect {
            try sandbox.orchestrator().ensureBlocking(["gone.process"])
        } throws: { error in
            "\(error)".contains("'/nonexistent/b00t': no such file") && !"\(error)".contains("PATH")
        }
    }

    @Test func restartWithDependentsBringsThemBack() throws {
        let sandbox = ServiceSandbox()
        let a = freePort(), b = freePort()
        sandbox.redis("base", port: a)
        sandbox.write("top.process.toml", """
        [b00t]
        name = "top"
        command = "redis-server"
        args = ["--port", "\(b)", "--bind", "127.0.0.1", "--save", ""]
        depends_on = ["base.process"]
        ports = [\(b)]
        """)
        let orchestrator = sandbox.orchestrator()
        try orchestrator.ensureBlocking(["top.process"])
        let before = try orchestrator.statusBlocking(["top.process"]).compactMap(\.pid)
        let report = try orchestrator.restartBlocking("base.process", withDependents: true)
        #expect(report.started == ["base.process", "top.process"])
        let after = try orchestrator.statusBlocking(["top.process"]).compactMap(\.pid)
        #expect(Set(before).isDisjoint(with: after))
    }
}
