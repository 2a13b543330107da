#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Seed suite 5: agent processes and a client form a crew over the socket; the daemon is started by the
/// orchestrator, killed with SIGKILL and brought back with no event lost.
@Suite(.serialized) struct CrossProcessCrewTests {
    @Test func crewOverTheSocketSurvivesADaemonKill() async throws {
        let state = TempDir("b00t-s5")
        let paths = B00tPaths(stateDirectory: state.path)
        var env = ProcessInfo.processInfo.environment
        env["B00T_STATE_DIR"] = state.path
        env["B00T_BUS_SOCKET"] = state.path + "/bus.sock"
        env["XDG_RUNTIME_DIR"] = ""
        env["B00T_DEBUG"] = nil
        env["B00T_BUS_TOKEN"] = nil

        func agent(_ id: String, _ skills: String) throws -> (Process, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
            p.arguments = ["agent", "run", "--id", id, "--skills", skills]
            p.environment = env
            p.currentDirectoryURL = URL(fileURLWithPath: packageRoot)
            let log = state.path + "/\(id).out"
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            p.standardOutput = FileHandle(forWritingAtPath: log)
            p.standardError = p.standardOutput
            try p.run()
            return (p, log)
        }
        let (alphaProcess, alphaLog) = try agent("alpha", "rust:0.9,testing:0.7")
        let (betaProcess, _) = try agent("beta", "docker:0.8,deploy:0.7")
        defer {
            for p in [alphaProcess, betaProcess] where p.isRunning { p.terminate() }
            // Whatever happened above, the daemon this test started does not outlive it.
            _ = try? Orchestrator(catalog: BuiltinDatums.adding(to: DatumCatalog()), paths: paths, environment: env)
                .stopBlocking("b00t-bus.process", force: true)
        }

        // Cold or warm, connect() gets a working bus (the orchestrator starts the daemon at most once).
        let captain = try await BusConnector.connect(agent: "captain", paths: paths, environment: env)
        try await captain.register(BusAgent(id: "captain", skillNames: ["leadership"]))
        try await until("both agents registered") {
            let agents = await captain.state.agents
            return agents["alpha"] != nil && agents["beta"] != nil
        }

        let reply = try await captain.handshake(from: "captain", to: "alpha", proposal: "join my crew?", timeout: .seconds(10))
        #expect(reply.accept)
        let crew = try await captain.formCrew(initiator: "captain", members: ["alpha", "beta"], purpose: "Build API", name: "api")
        #expect(crew.members == ["captain", "alpha", "beta"])

        let ahoy = try await captain.postAhoy(from: "captain", role: "Backend Developer", description: "Rust service",
                                              requiredSkills: ["rust", "testing"], budget: 100)
        try await until("alpha applies") { await captain.state.ahoys[ahoy]?.application(from: "alpha") != nil }
        #expect(await captain.state.ahoys[ahoy]?.application(from: "beta") == nil)  // docker/deploy do not match
        let budget = try await captain.awardAhoy(ahoy, to: "alpha", by: "captain")
        #expect(budget == 100)
        try await until("alpha logs its win") {
            (try? String(contentsOfFile: alphaLog, encoding: .utf8))?.contains("won \(ahoy) (budget 100)") == true
        }

        // Agents leave cleanly on SIGTERM.
        for p in [alphaProcess, betaProcess] {
            p.terminate()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }

        let seen = await captain.state.lastSeq
        await captain.close()
        let orchestrator = Orchestrator(catalog: BuiltinDatums.adding(to: DatumCatalog()), paths: paths, environment: env)
        let daemon = try #require(try orchestrator.statusBlocking(["b00t-bus.process"]).first?.pid)
        kill(daemon, SIGKILL)
        while ProcFS.isAlive(daemon) { usleep(1_000) }

        // connect() notices the dead daemon, ensure restarts it, and nothing acknowledged is missing (the log only
        // grew by presence: the captain leaving, the restarted daemon's reconciling, the captain back).
        let back = try await BusConnector.connect(agent: "captain", paths: paths, environment: env)
        #expect(await back.state.lastSeq >= seen)
        let tail = try await back.events(after: seen, limit: 100)
        #expect(tail.allSatisfy { if case .agentJoined = $0.body { return true }; if case .agentLeft = $0.body { return true }; return false })
        #expect(await back.state.ahoys[ahoy]?.awardedTo == "alpha")
        #expect(await back.state.isOnline("captain"))
        #expect(await !back.state.isOnline("alpha"))
        let restarted = try #require(try orchestrator.statusBlocking(["b00t-bus.process"]).first)
        #expect(restarted.pid != daemon)
        #expect(restarted.restarts == 1)

        // The client resumes its stream from the last sequence it saw: nothing missed, nothing twice.
        let writer = Task {
            try await Task.sleep(for: .milliseconds(50))
            try await back.say(from: "captain", "we are back", crew: "api")
        }
        var resumed: [UInt64] = []
        for try await event in back.subscribe(after: seen) {
            resumed.append(event.seq)
            if case .message = event.body { break }
        }
        try await writer.value
        #expect(resumed == Array((seen + 1)...(seen + UInt64(resumed.count))))
        await back.close()
        _ = try orchestrator.stopBlocking("b00t-bus.process", force: true)
    }

    /// Polls `condition` every 20 ms for up to 15 s.
    func until(_ what: String, _ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !(await condition()) {
            if ContinuousClock.now > deadline { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for: \(what)" }
}
