import Foundation
import Testing
@testable import B00tCore

/// Every refusal rule: the command throws and nothing is written.
@Suite struct BusRefusalTests {
    func bus() async throws -> MessageBus {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        for (id, skills) in [("alpha", ["rust": 0.9]), ("beta", ["rust": 0.5]), ("gamma", [:]), ("delta", [:])] {
            try await bus.register(BusAgent(id: id, skills: skills))
        }
        return bus
    }

    /// Runs `command`, expects `error`, and checks the log did not grow.
    func refuses(_ bus: MessageBus, _ command: BusCommand, _ error: BusError,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try await bus.events().count
        await #expect(throws: error, sourceLocation: sourceLocation) { try await bus.submit(command) }
        #expect(try await bus.events().count == before, sourceLocation: sourceLocation)
    }

    @Test func agentsAndHandshakes() async throws {
        let bus = try await bus()
        try await refuses(bus, .register(agent: BusAgent(id: "bad id")),
                          .invalid("agent id 'bad id' must be 1–64 ASCII letters, digits, '-', '_' or '.'"))
        try await refuses(bus, .register(agent: BusAgent(id: "x", skills: ["rust": 1.2])),
                          .invalid("skill 'rust' proficiency 1.2 is outside 0.0–1.0"))
        try await refuses(bus, .handshake(from: "alpha", to: "nobody", proposal: ""), .unknownAgent("nobody"))
        try await refuses(bus, .handshake(from: "ghost", to: "alpha", proposal: ""), .unknownAgent("ghost"))
        try await refuses(bus, .handshake(from: "alpha", to: "alpha", proposal: ""), .invalid("an agent cannot handshake itself"))
        try await refuses(bus, .replyHandshake(from: "beta", handshake: "hs-99", accept: true, reason: nil),
                          .notFound("handshake", "hs-99"))
    }

    @Test func manualHandshakeWaitsForTheTargetsAnswer() async throws {
        let bus = try await bus()
        try await bus.register(BusAgent(id: "shy", autoAcceptHandshakes: false))
        let answer = Task {
            for try await event in bus.subscribe(after: 0) {
                if case .handshakeRequested(let id, "shy", _, _) = event.body {
                    await #expect(throws: BusError.notAllowed("only shy can answer \(id)")) {
                        try await bus.replyHandshake(id, from: "beta", accept: true)
                    }
                    try await bus.replyHandshake(id, from: "shy", accept: false, reason: "busy")
                    return
                }
            }
        }
        let reply = try await bus.handshake(from: "alpha", to: "shy", proposal: "pair?")
        try await answer.value
        #expect(reply.accept == false)
        #expect(reply.reason == "busy")
        await #expect(throws: BusError.closed("\(reply.handshake) was already answered")) {
            try await bus.replyHandshake(reply.handshake, from: "shy", accept: true)
        }
        await #expect(throws: BusError.timeout("shy did not answer hs-8 within 0.1 s; the handshake expired")) {
            _ = try await bus.handshake(from: "alpha", to: "shy", proposal: "again?", timeout: .milliseconds(100))
        }
        // The expiry is on the record, and a late answer is refused rather than accepted after the asker left.
        let events = try await bus.events()
        #expect(events.contains { $0.body == .handshakeExpired(id: "hs-8") && $0.from == "alpha" && $0.replyTo == 8 })
        await #expect(throws: BusError.closed("hs-8 expired: alpha stopped waiting; ask again")) {
            try await bus.replyHandshake("hs-8", from: "shy", accept: true)
        }
    }

    @Test func aReplyAfterTheDeadlineIsRefusedEvenWithoutAnExpiryEvent() async throws {
        // The requester may have crashed before it could write handshakeExpired: the deadline alone decides.
        let clock = TestClock()
        let bus = try await MessageBus(backend: MemoryBusBackend(), clock: { clock.now })
        try await bus.register(BusAgent(id: "alpha"))
        try await bus.register(BusAgent(id: "shy", autoAcceptHandshakes: false))
        let events = try await bus.submit(.handshake(from: "alpha", to: "shy", proposal: "x", expiresAt: clock.now.addingTimeInterval(5)))
        guard case .handshakeRequested(let id, _, _, let expiresAt)? = events.first?.body else { Issue.record("no request"); return }
        #expect(expiresAt != nil)
        clock.advance(6)
        await #expect(throws: BusError.self) { try await bus.replyHandshake(id, from: "shy", accept: true) }
        await #expect(throws: BusError.invalid("the handshake's deadline is already past")) {
            try await bus.submit(.handshake(from: "alpha", to: "shy", proposal: "x", expiresAt: clock.now.addingTimeInterval(-1)))
        }
        // Only the asker can expire it.
        let again = try await bus.submit(.handshake(from: "alpha", to: "shy", proposal: "y"))
        guard case .handshakeRequested(let second, _, _, _)? = again.first?.body else { Issue.record("no request"); return }
        await #expect(throws: BusError.notAllowed("only alpha, who asked, can expire \(second)")) {
            try await bus.submit(.expireHandshake(from: "shy", handshake: second))
        }
    }

    @Test func learningRequestsAreAnsweredOnTheRecord() async throws {
        let bus = try await bus()
        let asked = try await bus.submit(.requestLearning(from: "beta", skill: "rust", teacher: "alpha"))
        let request = try #require(asked.first?.conversationID)
        #expect(request.hasPrefix("learn-"))
        #expect(await bus.state.learningRequests[request]?.status == .pending)
        await #expect(throws: BusError.notAllowed("only alpha can answer \(request)")) {
            try await bus.submit(.declineLearning(from: "gamma", request: request, reason: "no"))
        }
        try await bus.submit(.declineLearning(from: "alpha", request: request, reason: "alpha's rust is 0.50, below the 0.70 needed to teach"))
        #expect(await bus.state.learningRequests[request]?.status == .declined)
        await #expect(throws: BusError.closed("\(request) was already declined")) {
            try await bus.submit(.declineLearning(from: "alpha", request: request, reason: "again"))
        }
    }

    @Test func presenceIsWrittenOnlyWhenItChanges() async throws {
        let bus = try await bus()
        try await bus.submit(.presence(agent: "alpha", online: true, reason: nil))
        #expect(await bus.state.isOnline("alpha"))
        await #expect(throws: BusError.duplicate("alpha is already online")) {
            try await bus.submit(.presence(agent: "alpha", online: true, reason: nil))
        }
        let events = try await bus.submit(.presence(agent: "alpha", online: false, reason: "connection closed"))
        #expect(events.first?.body == .agentLeft(agent: "alpha", reason: "connection closed"))
        #expect(await !bus.state.isOnline("alpha"))
    }

    @Test func crews() async throws {
        let bus = try await bus()
        try await refuses(bus, .formCrew(from: "alpha", name: "c", members: ["ghost"], purpose: ""), .unknownAgent("ghost"))
        try await refuses(bus, .formCrew(from: "alpha", name: "c", members: [], purpose: ""),
                          .invalid("a crew needs at least one member besides alpha"))
        for bad in ["", "two words", "über", "a/b", String(repeating: "x", count: 65), "esc\u{1B}[2J"] {
            await #expect(throws: BusError.self, "crew name \(bad.debugDescription)") {
                try await bus.submit(.formCrew(from: "alpha", name: bad, members: ["beta"], purpose: ""))
            }
        }
        await #expect(throws: BusError.invalid("crew name 'two words' must be 1–64 ASCII letters, digits, '-', '_' or '.'")) {
            try await bus.submit(.formCrew(from: "alpha", name: "two words", members: ["beta"], purpose: ""))
        }
        try await bus.formCrew(initiator: "alpha", members: ["beta"], purpose: "p", name: "c")
        try await refuses(bus, .formCrew(from: "gamma", name: "c", members: ["delta"], purpose: ""),
                          .duplicate("a crew named 'c' already exists"))
        try await refuses(bus, .leaveCrew(from: "gamma", crew: "c"), .notAllowed("gamma is not in crew c"))
        try await refuses(bus, .disbandCrew(from: "beta", crew: "c"), .notAllowed("only alpha, who formed c, can disband it"))
        try await bus.leaveCrew("c", agent: "beta")
        #expect(await bus.crews().first?.members == ["alpha"])
        try await bus.disbandCrew("c", by: "alpha")
        #expect(await bus.crews().isEmpty)
    }

    @Test func votes() async throws {
        let bus = try await bus()
        // No crew: the electorate is every registered agent (4): passing needs 3 yes.
        let p = try await bus.createProposal("ship it", by: "alpha")
        try await bus.vote(p, voter: "alpha", choice: .yes)
        // Second vote by the same voter is refused (not replaced): a vote, once cast, is final.
        try await refuses(bus, .vote(from: "alpha", proposal: p, choice: .no),
                          .duplicate("alpha already voted yes on \(p); one vote per voter"))
        try await bus.vote(p, voter: "beta", choice: .yes)
        #expect(try await !bus.isProposalPassed(p))  // 2 of 4 is not a strict majority
        try await bus.vote(p, voter: "gamma", choice: .yes)
        #expect(try await bus.isProposalPassed(p))
        try await refuses(bus, .vote(from: "delta", proposal: p, choice: .no),
                          .closed("\(p) is passed; votes are no longer taken"))
        try await refuses(bus, .vote(from: "alpha", proposal: "prop-404", choice: .yes), .notFound("proposal", "prop-404"))

        // Crew proposals: only members vote; it is rejected as soon as it cannot pass.
        try await bus.formCrew(initiator: "alpha", members: ["beta", "gamma"], purpose: "", name: "trio")
        let q = try await bus.createProposal("tabs", by: "beta", crew: "trio")
        try await refuses(bus, .vote(from: "delta", proposal: q, choice: .yes),
                          .notAllowed("delta is not in the electorate of \(q) (crew trio)"))
        try await bus.vote(q, voter: "alpha", choice: .no)
        try await bus.vote(q, voter: "gamma", choice: .abstain)
        #expect(await bus.proposal(q)?.status == .rejected)
        try await refuses(bus, .vote(from: "beta", proposal: q, choice: .yes), .closed("\(q) is rejected; votes are no longer taken"))
        try await refuses(bus, .propose(from: "delta", text: "x", crew: "trio", threshold: nil, quorum: nil),
                          .notAllowed("delta is not in crew trio"))
        try await refuses(bus, .propose(from: "alpha", text: " ", crew: nil, threshold: nil, quorum: nil),
                          .invalid("a proposal needs text"))
        // Line breaks are blank too (only spaces were checked, so "\n" passed).
        try await refuses(bus, .propose(from: "alpha", text: "\n\t", crew: nil, threshold: nil, quorum: nil),
                          .invalid("a proposal needs text"))

        // Configurable: two-thirds threshold and a quorum.
        let r = try await bus.createProposal("big change", by: "alpha", threshold: 2.0 / 3.0, quorum: 1.0)
        try await bus.vote(r, voter: "alpha", choice: .yes)
        try await bus.vote(r, voter: "beta", choice: .yes)
        try await bus.vote(r, voter: "gamma", choice: .yes)
        #expect(await bus.proposal(r)?.status == .open)  // 3 of 4 > 2/3 but quorum needs every vote
        try await bus.vote(r, voter: "delta", choice: .no)
        #expect(await bus.proposal(r)?.status == .passed)

        let s = try await bus.createProposal("withdraw me", by: "alpha")
        try await refuses(bus, .withdrawProposal(from: "beta", proposal: s), .notAllowed("only alpha, who proposed \(s), can withdraw it"))
        try await bus.withdrawProposal(s, by: "alpha")
        #expect(await bus.proposal(s)?.status == .withdrawn)
    }

    @Test func ahoys() async throws {
        let bus = try await bus()
        try await refuses(bus, .postAhoy(from: "alpha", role: "", description: "", requiredSkills: [], budget: 1, replyBy: nil),
                          .invalid("an ahoy needs a role"))
        try await refuses(bus, .postAhoy(from: "alpha", role: " \n", description: "", requiredSkills: [], budget: 1, replyBy: nil),
                          .invalid("an ahoy needs a role"))
        try await refuses(bus, .postAhoy(from: "alpha", role: "dev", description: "", requiredSkills: [], budget: -5, replyBy: nil),
                          .invalid("budget -5 must not be negative"))
        let a = try await bus.postAhoy(from: "alpha", role: "dev", requiredSkills: ["rust"], budget: 10)
        try await refuses(bus, .apply(from: "alpha", ahoy: a, pitch: "", relevantSkills: []),
                          .notAllowed("alpha posted \(a) and cannot apply to it"))
        try await bus.applyToAhoy(a, from: "beta")
        try await refuses(bus, .apply(from: "beta", ahoy: a, pitch: "again", relevantSkills: []),
                          .duplicate("beta already applied to \(a); one application per agent"))
        try await refuses(bus, .award(from: "beta", ahoy: a, winner: "beta"),
                          .notAllowed("only alpha, who posted \(a), can award it"))
        try await refuses(bus, .award(from: "alpha", ahoy: a, winner: "gamma"),
                          .invalid("gamma has no open application to \(a); applicants: beta"))
        try await bus.awardAhoy(a, to: "beta", by: "alpha")
        try await refuses(bus, .apply(from: "gamma", ahoy: a, pitch: "", relevantSkills: []),
                          .closed("\(a) was already awarded to beta"))
        try await refuses(bus, .award(from: "alpha", ahoy: a, winner: "beta"), .closed("\(a) was already awarded to beta"))
        try await refuses(bus, .apply(from: "gamma", ahoy: "ahoy-404", pitch: "", relevantSkills: []), .notFound("ahoy", "ahoy-404"))

        let b = try await bus.postAhoy(from: "alpha", role: "ops", budget: 5)
        try await bus.applyToAhoy(b, from: "gamma")
        try await bus.withdrawApplication(b, by: "gamma")
        try await refuses(bus, .award(from: "alpha", ahoy: b, winner: "gamma"),
                          .invalid("gamma has no open application to \(b); applicants: none"))
        try await refuses(bus, .withdrawAhoy(from: "gamma", ahoy: b), .notAllowed("only alpha, who posted \(b), can withdraw it"))
        try await bus.withdrawAhoy(b, by: "alpha")
        try await refuses(bus, .apply(from: "delta", ahoy: b, pitch: "", relevantSkills: []), .closed("\(b) was withdrawn by alpha"))
    }

    @Test func replyByClosesApplications() async throws {
        let clock = TestClock()
        let bus = try await MessageBus(backend: MemoryBusBackend(), clock: { clock.now })
        try await bus.register(BusAgent(id: "alpha"))
        try await bus.register(BusAgent(id: "beta"))
        await #expect(throws: BusError.invalid("reply_by is in the past")) {
            try await bus.postAhoy(from: "alpha", role: "dev", replyBy: clock.now.addingTimeInterval(-1))
        }
        let a = try await bus.postAhoy(from: "alpha", role: "dev", replyBy: clock.now.addingTimeInterval(60))
        clock.advance(61)
        await #expect(throws: BusError.self) { try await bus.applyToAhoy(a, from: "beta") }
    }

    @Test func teaching() async throws {
        let bus = try await bus()
        try await refuses(bus, .teach(from: "beta", to: "gamma", skill: "rust", method: .pairProgramming),
                          .notAllowed("beta's rust is 0.50; teaching needs at least 0.70"))
        try await refuses(bus, .teach(from: "alpha", to: "alpha", skill: "rust", method: .practice),
                          .invalid("an agent cannot teach itself"))
        try await refuses(bus, .teach(from: "alpha", to: "ghost", skill: "rust", method: .practice), .unknownAgent("ghost"))
        try await refuses(bus, .share(from: "alpha", crew: "none", topic: "t", content: "", skillImpact: [:]),
                          .notFound("crew", "none"))
        try await refuses(bus, .say(from: "alpha", crew: nil, to: nil, text: ""), .invalid("nothing to say"))
        // Blank is nothing too (walk-through: "   " was accepted while "" was refused).
        try await refuses(bus, .say(from: "alpha", crew: nil, to: nil, text: "   "), .invalid("nothing to say"))
        try await refuses(bus, .say(from: "alpha", crew: nil, to: nil, text: " \n\t"), .invalid("nothing to say"))
        #expect(TeachingMethod(parsing: "pair-programming") == .pairProgramming)
        #expect(TeachingMethod(parsing: "docs") == .documentation)
        #expect(TeachingMethod(parsing: "osmosis") == nil)
    }

    @Test func batchIsAllOrNothing() async throws {
        let bus = try await bus()
        let before = try await bus.events().count
        await #expect(throws: BusError.unknownAgent("ghost")) {
            try await bus.submit([.say(from: "alpha", crew: nil, to: nil, text: "one"),
                                  .say(from: "ghost", crew: nil, to: nil, text: "two")])
        }
        #expect(try await bus.events().count == before)
    }

    @Test func corruptSnapshotsAreClearErrors() throws {
        let dir = NSTemporaryDirectory() + "b00t-corrupt-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = try BusSnapshot(state: BusState().applying([
            BusEvent(seq: 1, timestamp: Date(), from: "a", conversationID: "evt-1", body: .agentRegistered(agent: BusAgent(id: "a"))),
        ])).encoded()
        #expect(throws: BusError.corruptSnapshot(path: "t", detail: "not JSON (truncated?)")) {
            try BusSnapshot.decode(good.prefix(good.count / 2), source: "t")
        }
        #expect(throws: BusError.corruptSnapshot(path: "e", detail: "empty file")) { try BusSnapshot.decode(Data(), source: "e") }
        let future = Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"version\":1", with: "\"version\":9").utf8)
        #expect(throws: BusError.corruptSnapshot(path: "f", detail: "version 9, this b00t reads 1")) {
            try BusSnapshot.decode(future, source: "f")
        }
        #expect(try BusSnapshot.decode(good, source: "g").state.agents.keys.sorted() == ["a"])
        #expect("\(BusError.corruptSnapshot(path: "/x/s.json", detail: "empty file"))".contains("/x/s.json"))
    }
}
