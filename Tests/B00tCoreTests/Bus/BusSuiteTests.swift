import Foundation
import Testing
@testable import B00tCore

/// The seed's suites 1, 2, 3 and 6 plus every refusal rule, run unchanged over every backend.
@Suite struct BusSuiteTests {
    // Suite 1: end-to-end crew formation and voting.
    @Test(arguments: BackendKind.allCases) func crewFormationAndVoting(kind: BackendKind) async throws {
        let bus = try await kind.make().bus()
        let alpha = try BusAgent.fromTOML(alphaPath)
        let beta = try BusAgent.fromTOML(betaPath)
        #expect(alpha.skills["rust"] == 0.9)
        try await bus.register(alpha)
        try await bus.register(beta)

        let reply = try await bus.handshake(from: alpha.id, to: beta.id, proposal: "Form crew")
        #expect(reply.accept)

        let crew = try await bus.formCrew(initiator: alpha.id, members: [alpha.id, beta.id], purpose: "Build API", name: "api")
        #expect(crew.members == ["alpha", "beta"])

        let proposal = try await bus.createProposal("Use Rust for backend", by: alpha.id, crew: "api")
        try await bus.vote(proposal, voter: alpha.id, choice: .yes)
        #expect(try await !bus.isProposalPassed(proposal))  // 1 of 2 is not a strict majority
        try await bus.vote(proposal, voter: beta.id, choice: .yes)
        #expect(try await bus.isProposalPassed(proposal))
    }

    // Suite 2: ahoy → apply → award.
    @Test(arguments: BackendKind.allCases) func ahoyAnnouncementApplicationAward(kind: BackendKind) async throws {
        let bus = try await kind.make().bus()
        try await bus.register(BusAgent(id: "captain", skillNames: ["leadership"]))
        try await bus.register(BusAgent(id: "dev1", skills: ["rust": 0.8, "docker": 0.7]))
        try await bus.register(BusAgent(id: "dev2", skills: ["rust": 0.9, "kubernetes": 0.9]))

        let id = try await bus.postAhoy(from: "captain", role: "Backend Developer", description: "build it",
                                        requiredSkills: ["rust", "docker"], budget: 100)
        try await bus.applyToAhoy(id, from: "dev1", pitch: "5 years Rust + Docker", relevantSkills: ["rust", "docker"])
        try await bus.applyToAhoy(id, from: "dev2", pitch: "Kubernetes expert", relevantSkills: ["rust", "kubernetes"])
        #expect(await bus.getAhoy(id)?.applications.count == 2)
        #expect(await bus.rankedApplicants(id).map(\.from) == ["dev1", "dev2"])  // 1.5 vs 0.9 on rust+docker

        let budget = try await bus.awardAhoy(id, to: "dev1", by: "captain")
        #expect(budget == 100)
        let final = try #require(await bus.getAhoy(id))
        #expect(final.awardedTo == "dev1")
        #expect(final.status == .awarded)
        #expect(final.application(from: "dev2")?.status == .rejected)
        let events = try await bus.events()
        #expect(events.contains { $0.body == .applicationRejected(ahoy: id, agent: "dev2") && $0.replyTo == final.seq })
        #expect(events.filter { $0.conversationID == id }.count == 5)  // post, 2 applications, award, reject
        #expect(await bus.listAhoys(.open).isEmpty)
        #expect(await bus.listAhoys(.awarded).map(\.id) == [id])
        #expect(await bus.listAhoys(.mine("dev2")).map(\.id) == [id])
        #expect(await bus.listAhoys(.skill("docker")).map(\.id) == [id])
    }

    // Suite 3: skill sharing.
    @Test(arguments: BackendKind.allCases) func teachingAndLearning(kind: BackendKind) async throws {
        let bus = try await kind.make().bus()
        try await bus.register(BusAgent(id: "expert", skills: ["rust": 0.95]))
        try await bus.register(BusAgent(id: "novice", skills: ["rust": 0.1]))
        let learned = try await bus.teachSkill(from: "expert", to: "novice", skill: "rust", method: .pairProgramming)
        #expect(abs(learned - 0.67) < 1e-9)
        #expect(abs((await bus.agent("novice")?.skills["rust"] ?? 0) - 0.67) < 1e-9)
        let events = try await bus.events()
        guard case .skillLearned(let agent, _, let before, _, let teacher) = events.last?.body else {
            Issue.record("no skill_learned event")
            return
        }
        #expect(agent == "novice" && before == 0.1 && teacher == "expert")
        #expect(events.last?.from == "novice")
        #expect(events.last?.replyTo == events[events.count - 2].seq)

        // Gains by method, capped at 1.0.
        for (method, expected) in [(TeachingMethod.demonstration, 0.38), (.documentation, 0.19), (.practice, 0.095)] {
            let learner = "l-\(method.rawValue)"
            try await bus.register(BusAgent(id: learner))
            let level = try await bus.teachSkill(from: "expert", to: learner, skill: "rust", method: method)
            #expect(abs(level - expected) < 1e-9)
        }
        try await bus.register(BusAgent(id: "almost", skills: ["rust": 0.9]))
        #expect(try await bus.teachSkill(from: "expert", to: "almost", skill: "rust", method: .pairProgramming) == 1.0)
    }

    @Test(arguments: BackendKind.allCases) func crewKnowledgeSharing(kind: BackendKind) async throws {
        let bus = try await kind.make().bus()
        try await bus.register(BusAgent(id: "alpha", skills: ["rust": 0.5]))
        try await bus.register(BusAgent(id: "beta", skillNames: ["docker"]))
        try await bus.register(BusAgent(id: "gamma", skillNames: ["kubernetes"]))
        try await bus.register(BusAgent(id: "outsider"))
        try await bus.formCrew(initiator: "alpha", members: ["beta", "gamma"], purpose: "backend", name: "backend-team")
        try await bus.shareKnowledge(from: "alpha", crew: "backend-team", topic: "Async Rust Patterns",
                                     content: "Use structured concurrency…",
                                     skillImpact: ["rust": 0.1, "async-programming": 0.3])
        for member in ["alpha", "beta", "gamma"] {
            #expect(await bus.agent(member)?.skills["async-programming"] == 0.3)
        }
        #expect(abs((await bus.agent("alpha")?.skills["rust"] ?? 0) - 0.6) < 1e-9)
        #expect(await bus.agent("beta")?.skills["rust"] == 0.1)
        #expect(await bus.agent("outsider")?.skills["async-programming"] == nil)
        await #expect(throws: BusError.notAllowed("outsider is not in crew backend-team")) {
            try await bus.shareKnowledge(from: "outsider", crew: "backend-team", topic: "x", content: "", skillImpact: [:])
        }
    }

    // Suite 6: state persistence and recovery.
    @Test(arguments: BackendKind.allCases) func stateRecovery(kind: BackendKind) async throws {
        let dir = NSTemporaryDirectory() + "b00t-snap-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bus_state.json"
        do {
            let bus = try await kind.make().bus()
            try await bus.register(BusAgent(id: "alpha", skillNames: ["rust"]))
            try await bus.createProposal("Test proposal", by: "alpha")
            try await bus.saveState(to: path)
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let bus = try await MessageBus.loadFrom(path)
        #expect(await bus.listAgents().map(\.id) == ["alpha"])
        #expect(await bus.listProposals().count == 1)
        // The restored bus keeps numbering after the snapshot.
        let events = try await bus.submit(.say(from: "alpha", crew: nil, to: nil, text: "back"))
        #expect(events.first?.seq == 3)
    }

    @Test(arguments: BackendKind.allCases) func replayOfTheStoredLogReproducesLiveState(kind: BackendKind) async throws {
        let store = try kind.make()
        let bus = try await store.bus()
        try await Scenario.run(on: bus)
        let live = await bus.state
        let folded = BusState().applying(try await bus.events())
        #expect(folded == live)
        // A second handle on the same store folds to the same state.
        let other = try await MessageBus(backend: try store.reopen())
        #expect(await other.state == live)
    }

    @Test(arguments: BackendKind.allCases) func subscriberResumesFromItsLastSequence(kind: BackendKind) async throws {
        let bus = try await kind.make().bus()
        try await bus.register(BusAgent(id: "a"))
        for i in 1...5 { try await bus.say(from: "a", "m\(i)") }
        var seen: [UInt64] = []
        for try await event in bus.subscribe(after: 0) {
            seen.append(event.seq)
            if event.seq == 3 { break }
        }
        let writer = Task {
            try await Task.sleep(for: .milliseconds(50))
            try await bus.say(from: "a", "late")
        }
        for try await event in bus.subscribe(after: seen.last!) {
            seen.append(event.seq)
            if event.seq == 7 { break }
        }
        try await writer.value
        #expect(seen == [1, 2, 3, 4, 5, 6, 7])
    }

    @Test(arguments: BackendKind.allCases) func everyEventCarriesItsEnvelope(kind: BackendKind) async throws {
        let bus = try await kind.make().bus()
        let before = Date()
        try await Scenario.run(on: bus)
        let events = try await bus.events()
        #expect(events.map(\.seq) == Array(1...UInt64(events.count)))
        for event in events {
            #expect(!event.from.isEmpty)
            #expect(!event.conversationID.isEmpty)
            #expect(event.timestamp >= before.addingTimeInterval(-1))
            if let reply = event.replyTo { #expect(reply < event.seq) }
        }
    }
}

/// A little of everything, for replay and envelope checks.
enum Scenario {
    static func run(on bus: MessageBus) async throws {
        try await bus.register(BusAgent(id: "alpha", skills: ["rust": 0.9, "go": 0.4]))
        try await bus.register(BusAgent(id: "beta", skills: ["rust": 0.3]))
        try await bus.register(BusAgent(id: "gamma", skills: ["docker": 0.8]))
        _ = try await bus.handshake(from: "alpha", to: "beta", proposal: "pair up")
        try await bus.formCrew(initiator: "alpha", members: ["beta", "gamma"], purpose: "ship", name: "crew1")
        let p = try await bus.createProposal("adopt Swift 6", by: "alpha", crew: "crew1")
        try await bus.vote(p, voter: "alpha", choice: .yes)
        try await bus.vote(p, voter: "beta", choice: .no)
        try await bus.vote(p, voter: "gamma", choice: .yes)
        let a = try await bus.postAhoy(from: "alpha", role: "ops", requiredSkills: ["docker"], budget: 50)
        try await bus.applyToAhoy(a, from: "gamma", pitch: "me", relevantSkills: ["docker"])
        try await bus.applyToAhoy(a, from: "beta", pitch: "me too")
        try await bus.awardAhoy(a, to: "gamma", by: "alpha")
        try await bus.teachSkill(from: "alpha", to: "beta", skill: "rust", method: .demonstration)
        try await bus.shareKnowledge(from: "gamma", crew: "crew1", topic: "images", content: "slim", skillImpact: ["docker": 0.1])
        try await bus.say(from: "beta", "thanks all", crew: "crew1")
        try await bus.requestLearning("go", learner: "beta", teacher: "alpha")
    }
}
