#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Decision 6 under load: one SQLite file written by a k0mmand3r-style embedded bus, the daemon (serving agent
/// processes and a socket client) and the CLI, every cross-process flow repeated, and not one false refusal.
@Suite(.serialized) struct CrossProcessConsistencyTests {
    static let rounds = Int(ProcessInfo.processInfo.environment["B00T_CONSISTENCY_ROUNDS"] ?? "") ?? 200

    @Test func everyFlowAcrossProcessesOnOneSQLiteFileWithNoFalseRefusal() async throws {
        let crew = CrewSandbox(label: "consistency")
        defer { crew.tearDown() }
        let policy = crew.dir.write("policy.toml", "vote = \"yes\"\naccept_handshakes = \"all\"\napply_threshold = 0.5\n")
        try crew.startAgent("dev1", ["--skills", "rust:0.9,testing:0.8", "--policy", policy])
        try crew.startAgent("dev2", ["--skills", "docker:0.8", "--policy", policy])

        // The embedded writer (what `k0mmand3r --bus sqlite` runs) on the daemon's own file.
        let embedded = try await MessageBus(backend: try SQLiteBusBackend(path: crew.dir.path + "/bus.sqlite"))
        // A socket client beside the agents (what `b00t agent run` and k0mmand3r on the socket use).
        let remote = try await BusConnector.connect(agent: "remote", paths: crew.paths, environment: crew.env)
        defer { Task { await remote.close() } }
        try await remote.register(BusAgent(id: "remote", role: "human"))
        try await embedded.register(BusAgent(id: "captain", role: "human", skills: ["rust": 0.1], autoAcceptHandshakes: false))
        try await until("both agents registered") {
            let s = try await embedded.currentState()
            return s.isOnline("dev1") && s.isOnline("dev2")
        }

        for round in 1...Self.rounds {
            // Handshake, embedded → agent process (answered through the daemon).
            let reply = try await embedded.handshake(from: "captain", to: "dev1", proposal: "round \(round)", timeout: .seconds(10))
            #expect(reply.accept)
            // Handshake, socket client → embedded (answered on the embedded bus, validated where it lands).
            let asked = Task { try await remote.handshake(from: "remote", to: "captain", proposal: "r\(round)", timeout: .seconds(10)) }
            let pending = try await until("the handshake reaches the embedded bus") {
                try await embedded.currentState().handshakes.values.first { $0.from == "remote" && $0.isOpen }
            }
            try await embedded.replyHandshake(pending.id, from: "captain", accept: true)
            #expect(try await asked.value.accept)

            // A crew with both agents, a proposal they vote on from their processes.
            let crewName = "r\(round)"
            try await embedded.formCrew(initiator: "captain", members: ["dev1", "dev2"], purpose: "round \(round)", name: crewName)
            let proposal = try await embedded.createProposal("ship round \(round)", by: "captain", crew: crewName)
            // (The captain does not vote: the two agents' yes votes are a majority of three on their own.)
            try await until("the agents' votes pass \(proposal)") { try await embedded.currentState().proposals[proposal]?.status == .passed }

            // Contract Net: dev1's skills match, it applies from its process; the captain awards it.
            let ahoy = try await embedded.postAhoy(from: "captain", role: "backend", requiredSkills: ["rust", "testing"], budget: round)
            try await until("dev1 applies to \(ahoy)") { try await embedded.currentState().ahoys[ahoy]?.application(from: "dev1") != nil }
            #expect(try await embedded.awardAhoy(ahoy, to: "dev1", by: "captain") == round)

            // Teaching: asked on the embedded bus, taught from the agent's process.
            let before = try await embedded.currentState().learningRequests.count
            try await embedded.requestLearning("rust", learner: "captain", teacher: "dev1")
            try await until("dev1 teaches round \(round)") {
                let requests = try await embedded.currentState().learningRequests.values
                return requests.count > before && requests.allSatisfy { $0.status != .pending }
            }
            try await embedded.disbandCrew(crewName, by: "captain")

            // The CLI joins in now and then, on the same file.
            if round % 50 == 0 {
                let file = crew.dir.write("cli-\(round).k0", """
                    @as cli
                    round \(round) from the CLI
                    @expect cli: round \(round)
                    /handshake dev2 from the cli
                    @expect dev2 accepted
                    """)
                let result = try await offPool { try crew.b00t(["replay", "--bus", "sqlite:\(crew.dir.path)/bus.sqlite", file]) }
                #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            }
        }

        // No process was ever refused for what it had not yet folded. (A vote that arrives after the others
        // already decided the proposal is refused rightly: that race is real, not staleness.)
        for agent in ["dev1", "dev2"] {
            let refusals = crew.log(agent).split(separator: "\n").filter { $0.contains("could not") && !$0.contains("votes are no longer taken") }
            #expect(refusals.isEmpty, "\(agent): \(refusals.prefix(5))")
        }
        let state = try await embedded.currentState()
        #expect(state.ahoys.values.filter { $0.awardedTo == "dev1" }.count == Self.rounds)
        #expect(state.learningRequests.values.filter { $0.status == .taught }.count == Self.rounds)
    }

    /// Polls (every 10 ms, up to 15 s) until `probe` returns a value.
    @discardableResult
    func until<T>(_ what: String, _ probe: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + .seconds(15)
        while true {
            if let value = try await probe() { return value }
            if ContinuousClock.now > deadline { throw TimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        try await until(what) { try await condition() ? true : nil }
    }
}
