import Foundation
import Testing
@testable import B00tCore

/// What `b00t agent run` does, on an in-memory bus: applies when its skills match, votes by policy (also
/// following a leader), answers handshakes, teaches or declines on the record — and the policy it reads.
@Suite struct AgentRunnerTests {
    func start(_ bus: MessageBus, _ profile: BusAgent, _ policy: AgentPolicy = AgentPolicy()) -> (Task<Void, Error>, Log) {
        let log = Log()
        let runner = AgentRunner(bus: bus, profile: profile, policy: policy, log: { log.add($0) })
        return (Task { try await runner.run() }, log)
    }

    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    func until(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !(try await condition()) {
            if ContinuousClock.now > deadline { throw BusError.timeout(what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    @Test func appliesWhenSkillsMatchAndSkipsOtherwise() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "captain"))
        let (task, log) = start(bus, BusAgent(id: "dev1", skills: ["rust": 0.9, "docker": 0.4]))
        defer { task.cancel() }
        try await until("dev1 registered") { await bus.state.agents["dev1"] != nil }
        let match = try await bus.postAhoy(from: "captain", role: "backend", requiredSkills: ["rust", "docker"], budget: 5)  // 0.65
        let miss = try await bus.postAhoy(from: "captain", role: "ops", requiredSkills: ["k8s"], budget: 5)  // 0.0
        try await until("dev1 applies") { await bus.state.ahoys[match]?.application(from: "dev1") != nil }
        try await until("dev1 skips the other") { log.all.contains { $0.contains("skipped \(miss)") } }
        #expect(await bus.state.ahoys[miss]?.application(from: "dev1") == nil)
        #expect(await bus.state.ahoys[match]?.application(from: "dev1")?.relevantSkills.sorted() == ["docker", "rust"])
    }

    @Test func votesByPolicyAndFollowsALeader() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        for id in ["lead", "x", "y", "z"] { try await bus.register(BusAgent(id: id)) }
        var follower = AgentPolicy()
        follower.vote = .follow("lead")
        let (a, _) = start(bus, BusAgent(id: "f1"), follower)
        defer { a.cancel() }
        try await until("f1 registered") { await bus.state.agents["f1"] != nil }
        let p = try await bus.createProposal("ship it", by: "x")
        try await Task.sleep(for: .milliseconds(50))
        #expect(await bus.state.proposals[p]?.votes["f1"] == nil)  // waits for the leader
        try await bus.vote(p, voter: "lead", choice: .no)
        try await until("f1 follows") { await bus.state.proposals[p]?.votes["f1"] == VoteChoice.no }
    }

    @Test func handshakesTeachingAndDeclinesAreOnTheRecord() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "learner"))
        var policy = AgentPolicy()
        policy.teachMethod = .pairProgramming
        let (task, _) = start(bus, BusAgent(id: "mentor", skills: ["rust": 0.9, "go": 0.3]), policy)
        defer { task.cancel() }
        try await until("mentor registered") { await bus.state.agents["mentor"] != nil }
        let reply = try await bus.handshake(from: "learner", to: "mentor", proposal: "pair?", timeout: .seconds(5))
        #expect(reply.accept)
        try await bus.requestLearning("rust", learner: "learner", teacher: "mentor")
        try await until("mentor teaches rust") { await bus.state.agents["learner"]?.skills["rust"].map { abs($0 - 0.54) < 1e-9 } == true }
        try await bus.requestLearning("go", learner: "learner", teacher: "mentor")
        try await until("mentor declines go") { await bus.state.learningRequests.values.contains { $0.skill == "go" && $0.status == .declined } }
        let declined = await bus.state.learningRequests.values.first { $0.skill == "go" }
        #expect(declined?.reason?.contains("below the 0.70 needed to teach") == true)
    }

    /// accept_handshakes: "none" declines everyone, "known"/"all" accept — each answer with its reason on the
    /// record. (A sender the bus does not know is refused before the agent sees it.)
    @Test(arguments: [(AgentPolicy.Handshakes.known, "friend", true, "gate accepts friend"),
                      (.none, "friend", false, "gate accepts no handshakes"),
                      (.all, "friend", true, "gate accepts friend")])
    func handshakesAreAnsweredByPolicyWithAReason(_ rule: AgentPolicy.Handshakes, _ from: String, _ accepted: Bool,
                                                  _ reason: String) async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "friend"))
        var policy = AgentPolicy()
        policy.handshakes = rule
        let (task, log) = start(bus, BusAgent(id: "gate"), policy)
        defer { task.cancel() }
        try await until("gate registered") { await bus.state.agents["gate"] != nil }
        let id = try await bus.submit(.handshake(from: from, to: "gate", proposal: "work together?", expiresAt: nil))
            .compactMap { if case .handshakeRequested(let id, _, _, _) = $0.body { id } else { nil } }.first
        let hid = try #require(id)
        try await until("gate answers") { await bus.state.handshakes[hid]?.isOpen == false }
        #expect(await bus.state.handshakes[hid]?.accepted == accepted)
        let replies = try await bus.backend.read(after: 0, limit: 100).compactMap { event -> (Bool, String?)? in
            if case .handshakeReplied(hid, let accept, let why) = event.body { (accept, why) } else { nil }
        }
        #expect(replies.count == 1 && replies.first?.0 == accepted && replies.first?.1 == reason, "\(replies)")
        #expect(log.all.contains { $0.contains("\(accepted ? "accepted" : "declined") handshake \(hid) from \(from)") })
    }

    @Test func policiesParseStrictlyWithTheKeyInTheMessage() throws {
        let table: [String: DatumValue] = ["vote": .string("follow:alpha"), "apply_threshold": .double(0.7),
                                           "accept_handshakes": .string("all"), "teach_method": .string("doc")]
        let policy = try AgentPolicy(table: table, source: "p.toml")
        #expect(policy.vote == .follow("alpha") && policy.applyThreshold == 0.7 && policy.handshakes == .all && policy.teachMethod == .documentation)
        #expect(throws: BusError.invalid("p.toml: unknown policy key 'vot'; did you mean 'vote'? (keys: vote, apply_threshold, accept_handshakes, teach_method, mutations)")) {
            try AgentPolicy(table: ["vot": .string("yes")], source: "p.toml")
        }
        #expect(throws: BusError.self) { try AgentPolicy(table: ["apply_threshold": .double(1.5)], source: "p.toml") }
        #expect(throws: BusError.self) { try AgentPolicy(table: ["vote": .string("follow:")], source: "p.toml") }
        #expect(throws: BusError.self) { try AgentPolicy(table: ["accept_handshakes": .string("some")], source: "p.toml") }
        #expect(throws: BusError.self) { try AgentPolicy(table: ["teach_method": .int(3)], source: "p.toml") }
    }
}
