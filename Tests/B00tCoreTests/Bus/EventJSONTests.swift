import Foundation
import Testing
@testable import B00tCore

@Suite struct EventJSONTests {
    /// Every kind of event, with awkward text, reads back equal through a standard JSON decoder.
    @Test func everyEventKindRoundTrips() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await Scenario.run(on: bus)
        try await bus.register(BusAgent(id: "odd-one", role: "quote \" back\\slash\nnew\tline \u{01} ünï 🚀", skills: ["x": 0.123456789]))
        try await bus.withdrawProposal(try await bus.createProposal("w", by: "alpha"), by: "alpha")
        let a = try await bus.postAhoy(from: "alpha", role: "r", replyBy: Date().addingTimeInterval(60))
        try await bus.applyToAhoy(a, from: "beta")
        try await bus.withdrawApplication(a, by: "beta")
        try await bus.withdrawAhoy(a, by: "alpha")
        try await bus.leaveCrew("crew1", agent: "gamma")
        try await bus.disbandCrew("crew1", by: "alpha")
        try await bus.formCrew(initiator: "alpha", members: ["beta"], purpose: "two", name: "crew2")
        try await bus.register(BusAgent(id: "shy", autoAcceptHandshakes: false))
        try await bus.submit(.handshake(from: "alpha", to: "shy", proposal: "x"))
        try await bus.replyHandshake("hs-\(await bus.state.lastSeq)", from: "shy", accept: false, reason: nil)
        try await bus.submit(.handshake(from: "alpha", to: "shy", proposal: "y", expiresAt: Date().addingTimeInterval(30)))
        try await bus.submit(.expireHandshake(from: "alpha", handshake: "hs-\(await bus.state.lastSeq)"))
        let learn = try await bus.submit(.requestLearning(from: "beta", skill: "go", teacher: "alpha"))
        try await bus.submit(.declineLearning(from: "alpha", request: learn[0].conversationID, reason: "alpha's go is 0.00"))
        try await bus.submit(.presence(agent: "beta", online: true, reason: nil))
        try await bus.submit(.presence(agent: "beta", online: false, reason: "connection closed"))
        try await bus.say(from: "alpha", "direct", to: "beta")
        try await bus.joinCrew("crew2", agent: "gamma")
        try await bus.delegate(crew: "crew2", from: "alpha", to: "gamma", budget: 7)
        try await bus.negotiate("gpu", amount: 2, reason: "quote \" and \n newline", from: "gamma", crew: "crew2")
        try await bus.negotiate("cake", amount: 1, reason: "no crew", from: "beta")
        try await bus.announceStatus(of: "beta", note: "on it 🚀")
        try await bus.deregister("shy")
        let passed = try await bus.submit(.proposeMutation(from: "alpha", crew: nil, mutation: MutationFixture.mutation(approval: .none)))[0].conversationID
        try await bus.submit(.claimMutation(from: "alpha", proposal: passed, leaseUntil: Date().addingTimeInterval(30)))
        try await bus.submit(.completeMutation(from: "alpha", proposal: passed, commit: "abc1234", note: "committed \"quoted\"\n"))
        let other = try await bus.submit(.proposeMutation(from: "alpha", crew: nil, mutation: MutationFixture.mutation(approval: .none, value: "ü\\")))[0].conversationID
        try await bus.submit(.claimMutation(from: "alpha", proposal: other, leaseUntil: Date().addingTimeInterval(30)))
        try await bus.submit(.rejectMutation(from: "alpha", proposal: other, reason: "stale"))
        let events = try await bus.events()
        var kinds = Set<String>()
        for event in events {
            kinds.insert(event.body.kind)
            let decoded = try WireProtocol.decodeEvent(Data(EventJSON.encode(event)))
            #expect(decoded == event, "\(event.body.kind)")
            #expect(try JSONSerialization.jsonObject(with: Data(EventJSON.encode(event))) is [String: Any])
        }
        #expect(kinds.count == 33)
    }
}
