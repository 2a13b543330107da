import Foundation
import Testing
@testable import B00tCore

@Suite struct ContainerRuntimeTests {
    let datum = Datum(
        name: "qdrant", type: .docker, env: ["B": "2", "A": "${X:-1}"], dockerImage: "qdrant/qdrant:v1",
        dockerArgs: ["-v", "q:/qdrant/storage"], ports: ["6333:6333", "127.0.0.1:7000:7001"],
        resources: Resources(memoryLimit: "2g", cpuLimit: 1.5, restartPolicy: .unlessStopped))

    @Test func runArgumentsCarryEverything() throws {
        let runtime = ContainerRuntime(engine: "docker")
        let argv = try runtime.runArguments(ResolvedService(datum, environment: [:]))
        #expect(argv == [
            "docker", "run", "-d", "--name", "b00t-qdrant", "--label", "b00t.datum=qdrant", "--label", "b00t.id=qdrant.docker",
            "-p", "6333:6333", "-p", "127.0.0.1:7000:7001", "-e", "A=1", "-e", "B=2",
            "-m", "2g", "--cpus", "1.5", "--restart", "unless-stopped",
            "-v", "q:/qdrant/storage", "qdrant/qdrant:v1",
        ])
    }

    @Test func podmanUsesItsOwnCLIAndNoResourcesMeansNoFlags() throws {
        var bare = datum
        bare.resources = nil
        bare.env = [:]
        bare.ports = []
        bare.dockerArgs = []
        let argv = try ContainerRuntime(engine: "podman").runArguments(ResolvedService(bare, environment: [:]))
        #expect(argv == ["podman", "run", "-d", "--name", "b00t-qdrant", "--label", "b00t.datum=qdrant",
                         "--label", "b00t.id=qdrant.docker", "qdrant/qdrant:v1"])
    }

    @Test func missingImageIsAClearError() {
        var noImage = datum
        noImage.dockerImage = nil
        #expect(throws: OrchestratorError.self) {
            try ContainerRuntime(engine: "docker").runArguments(ResolvedService(noImage, environment: [:]))
        }
    }

    @Test func inspectOutputParses() {
        let runtime = ContainerRuntime(engine: "docker")
        let service = ResolvedService(datum, environment: [:])
        let running = runtime.parseInspect("running|2026-11-25T04:00:00.123456789Z|abcdef1234567890|2|healthy\n", service: service)
        #expect(running.state == .running)
        #expect(running.container == "abcdef123456")
        #expect(running.restarts == 2)
        #expect(running.health == "healthy")
        let exited = runtime.parseInspect("exited|2026-11-25T04:00:00Z|abc|0|", service: service)
        #expect(exited.state == .crashed)
        #expect(exited.health == nil)
        #expect(runtime.parseInspect("garbage", service: service).state == .unknown)
    }
}
