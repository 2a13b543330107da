import Foundation
import MCP
import Testing
@testable import B00tCore
@testable import B00tMCP

/// Which events concern an agent: real events from a real bus, each checked against the state folded up to it.
@Suite struct AgentInboxTests {
    /// Every notice each agent would get for the whole log.
    func inboxes(_ bus: MessageBus, agents: [String]) async throws -> [String: [String]] {
        var state = BusState()
        var result: [String: [String]] = [:]
        for event in try await bus.events() {
            state.apply(event)
            for agent in agents {
                if let notice = AgentInbox.notice(for: event, agent: agent, state: state) { result[agent, default: []].append(notice.reason) }
            }
        }
        return result
    }

    @Test func eachAgentHearsWhatIsAddressedToIt() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "poster", skills: ["rust": 0.9]))
        try await bus.register(BusAgent(id: "winner", skills: ["rust": 0.8], autoAcceptHandshakes: false))
        try await bus.register(BusAgent(id: "loser", skills: ["go": 0.5]))
        try await bus.register(BusAgent(id: "bystander"))
        let ahoy = try await bus.postAhoy(from: "poster", role: "dev", requiredSkills: ["rust"], budget: 10)
        try await bus.applyToAhoy(ahoy, from: "winner")
        try await bus.applyToAhoy(ahoy, from: "loser")
        try await bus.awardAhoy(ahoy, to: "winner", by: "poster")
        try await bus.submit(.handshake(from: "poster", to: "winner", proposal: "pair?", expiresAt: Date().addingTimeInterval(60)))
        try await bus.formCrew(initiator: "poster", members: ["winner"], purpose: "ship", name: "core")
        try await bus.createProposal("Friday release", by: "poster", crew: "core")
        try await bus.teachSkill(from: "poster", to: "loser", skill: "rust", method: .demonstration)
        try await bus.requestLearning("go", learner: "winner", teacher: "loser")
        try await bus.say(from: "poster", "crew news", crew: "core")
        try await bus.say(from: "loser", "psst", to: "bystander")
        let inbox = try await inboxes(bus, agents: ["poster", "winner", "loser", "bystander"])
        #expect(inbox["poster"] == ["application", "application"])
        #expect(inbox["winner"] == ["ahoy", "award", "handshake", "crew", "proposal", "message"])
        #expect(inbox["loser"] == ["rejected", "teach", "learn_request"])
        #expect(inbox["bystander"] == ["message"])
    }

    @Test func noticesSayWhatToDoAndCarryTheEvent() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "a"))
        try await bus.register(BusAgent(id: "b"))
        let proposal = try await bus.createProposal("x", by: "a")
        let event = try #require(try await bus.events().last)
        let notice = try #require(AgentInbox.notice(for: event, agent: "b", state: await bus.state))
        #expect(notice.reason == "proposal" && notice.level == .notice)
        #expect(notice.text.hasSuffix("vote with vote {id: \"\(proposal)\", choice: yes|no|abstain}"))
        #expect(notice.data.objectValue?["seq"] == .int(Int(event.seq)))
        #expect(notice.data.objectValue?["event"]?.objectValue?["kind"] == "proposal")
        #expect(AgentInbox.notice(for: event, agent: "a", state: await bus.state) == nil, "one's own proposal is not news")
    }

    @Test func theRingKeepsTheNewest() async throws {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        try await bus.register(BusAgent(id: "a"))
        try await bus.register(BusAgent(id: "b"))
        var ring = NoticeRing(capacity: 3)
        for i in 1...5 {
            try await bus.say(from: "a", "m\(i)", to: "b")
            let event = try #require(try await bus.events().last)
            ring.append(try #require(AgentInbox.notice(for: event, agent: "b", state: await bus.state)))
        }
        #expect(ring.notices.map { $0.text.suffix(2) } == ["m3", "m4", "m5"])
        let json = try JSONDecoder().decode(Value.self, from: Data(ring.json(agent: "b", lastSeq: 9).utf8))
        #expect(json.objectValue?["notices"]?.arrayValue?.count == 3)
        #expect(json.objectValue?["agent"] == "b")
    }
}
