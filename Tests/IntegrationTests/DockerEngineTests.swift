import Foundation
import Testing
@testable import B00tCore

/// Needs a real container engine; skipped (with the reason) where `docker info` fails, as on this project's CI.
@Suite(.enabled(if: dockerWorks, "skipped: `docker info` failed, no container engine can run here"))
struct DockerEngineTests {
    @Test func startProbeAndStopARealContainer() throws {
        let sandbox = ServiceSandbox()
        let port = freePort()
        sandbox.write("b00ttest-redis.docker.toml", """
        [b00t]
        name = "b00ttest-redis"
        type = "docker"
        docker_image = "redis:7-alpine"
        ports = ["127.0.0.1:\(port):6379"]
        [b00t.health_check]
        tcp = "127.0.0.1:\(port)"
        interval_ms = 100
        retry_count = 600
        """)
        let orchestrator = sandbox.orchestrator()
        let report = try orchestrator.ensureBlocking(["b00ttest-redis.docker"])
        #expect(report.started == ["b00ttest-redis.docker"])
        #expect(try orchestrator.statusBlocking(["b00ttest-redis.docker"]).first?.state == .running)
        try orchestrator.stopBlocking("b00ttest-redis.docker")
        #expect(try orchestrator.statusBlocking(["b00ttest-redis.docker"]).first?.state == .stopped)
    }
}

@Suite struct DockerUnavailableTests {
    @Test(.enabled(if: !dockerWorks, "an engine is present")) func engineUnavailableIsAClearError() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("q.docker.toml", "[b00t]\nname = \"q\"\ntype = \"docker\"\ndocker_image = \"qdrant/qdrant\"\n")
        #expect {
            try sandbox.orchestrator().ensureBlocking(["q.docker"])
        } throws: { error in
            "\(error)".contains("cannot run containers here") && "\(error)".contains("process datum")
        }
    }
}
