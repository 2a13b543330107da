import Foundation
import Testing
@testable import B00tCore

/// The original tool's commands on the log: `/crew join`, `/delegate` (the crown and a budget), `/negotiate`,
/// `/status`, and the observer role (reads and chats, never votes or applies). Each rule refuses with nothing
/// written, and the state every replica folds says who captains what.
@Suite struct CaptaincyTests {
    func bus() async throws -> MessageBus {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        for (id, role) in [("alpha", "captain"), ("beta", "member"), ("gamma", "member"), ("owl", BusAgent.observerRole)] {
            try await bus.register(BusAgent(id: id, role: role, skills: ["rust": 0.8]))
        }
        try await bus.formCrew(initiator: "alpha", members: ["beta", "owl"], purpose: "api", name: "api")
        return bus
    }

    func refuses(_ bus: MessageBus, _ command: BusCommand, _ error: BusError,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try await bus.events().count
        await #expect(throws: error, sourceLocation: sourceLocation) { try await bus.submit(command) }
        #expect(try await bus.events().count == before, sourceLocation: sourceLocation)
    }

    @Test func joiningACrew() async throws {
        let bus = try await bus()
        try await refuses(bus, .joinCrew(from: "gamma", crew: "nope"), .notFound("crew", "nope"))
        try await refuses(bus, .joinCrew(from: "ghost", crew: "api"), .unknownAgent("ghost"))
        try await refuses(bus, .joinCrew(from: "beta", crew: "api"), .duplicate("beta is already in crew api"))
        let events = try await bus.submit(.joinCrew(from: "gamma", crew: "api"))
        #expect(events.map(\.body.kind) == ["crew_joined"])
        #expect(await bus.state.crews["api"]?.members == ["alpha", "beta", "owl", "gamma"])
        #expect(BusEventFormatter.summary(events[0]) == "gamma joined crew api")
    }

    @Test func delegatingTheCrown() async throws {
        let bus = try await bus()
        #expect(await bus.state.crews["api"]?.captainID == "alpha")
        try await refuses(bus, .delegate(from: "beta", crew: "api", to: "beta", budget: 5),
                          .notAllowed("only alpha, the captain of api, can delegate its crown"))
        try await refuses(bus, .delegate(from: "alpha", crew: "api", to: "gamma", budget: 5),
                          .notAllowed("gamma is not in crew api; the crown stays in the crew"))
        try await refuses(bus, .delegate(from: "alpha", crew: "api", to: "owl", budget: 5),
                          .notAllowed("owl is an observer: observers cannot captain a crew"))
        try await refuses(bus, .delegate(from: "alpha", crew: "api", to: "alpha", budget: 5),
                          .invalid("alpha already wears the crown of api"))
        try await refuses(bus, .delegate(from: "alpha", crew: "api", to: "beta", budget: -1), .invalid("budget -1 must not be negative"))
        try await refuses(bus, .delegate(from: "alpha", crew: "nope", to: "beta", budget: 1), .notFound("crew", "nope"))
        let events = try await bus.submit(.delegate(from: "alpha", crew: "api", to: "beta", budget: 100))
        #expect(BusEventFormatter.summary(events[0]) == "alpha hands the crown of api to beta 👑 (budget 100)")
        let crew = try #require(await bus.state.crews["api"])
        #expect(crew.captainID == "beta" && crew.budget == 100)
        // The crown moved: the old captain can no longer delegate or disband; the new one cannot hand on more than it holds.
        try await refuses(bus, .delegate(from: "alpha", crew: "api", to: "beta", budget: 1),
                          .notAllowed("only beta, the captain of api, can delegate its crown"))
        try await refuses(bus, .disbandCrew(from: "alpha", crew: "api"), .notAllowed("only beta, the captain of api, can disband it"))
        try await refuses(bus, .delegate(from: "beta", crew: "api", to: "alpha", budget: 101),
                          .invalid("budget 101 is more than the 100 the captain of api holds"))
        try await bus.delegate(crew: "api", from: "beta", to: "alpha", budget: 60)
        #expect(await bus.state.crews["api"]?.captainID == "alpha")
        // A captain who leaves passes the crown on to the longest-standing member.
        try await bus.leaveCrew("api", agent: "alpha")
        #expect(await bus.state.crews["api"]?.captainID == "beta")
        #expect(await bus.state.crews["api"]?.budget == 60)
    }

    @Test func negotiatingForAResource() async throws {
        let bus = try await bus()
        try await refuses(bus, .negotiate(from: "beta", crew: "api", resource: "gpu", amount: 0, reason: "train"),
                          .invalid("amount 0 must be at least 1"))
        try await refuses(bus, .negotiate(from: "beta", crew: "api", resource: "gpu", amount: 2, reason: " "),
                          .invalid("say why you need gpu"))
        try await refuses(bus, .negotiate(from: "beta", crew: "api", resource: "gpu", amount: 2, reason: "\n"),
                          .invalid("say why you need gpu"))
        try await refuses(bus, .negotiate(from: "beta", crew: "api", resource: "bad name", amount: 2, reason: "x"),
                          .invalid("resource 'bad name' must be 1–64 ASCII letters, digits, '-', '_' or '.'"))
        try await refuses(bus, .negotiate(from: "gamma", crew: "api", resource: "gpu", amount: 2, reason: "x"),
                          .notAllowed("gamma is not in crew api"))
        let id = try await bus.negotiate("gpu", amount: 2, reason: "train the model", from: "beta", crew: "api")
        #expect(id.hasPrefix("neg-"))
        let request = try #require(await bus.state.negotiations[id])
        #expect(request.from == "beta" && request.amount == 2 && request.resource == "gpu" && request.crew == "api")
        let event = try #require(try await bus.events().last)
        #expect(BusEventFormatter.summary(event) == "beta asks api for 2 gpu (\(id)): train the model")
    }

    @Test func announcingStatus() async throws {
        let bus = try await bus()
        try await refuses(bus, .announceStatus(from: "ghost", note: ""), .unknownAgent("ghost"))
        let events = try await bus.submit(.announceStatus(from: "beta", note: "on the parser"))
        #expect(events[0].body == .statusAnnounced(role: "member", skills: ["rust": 0.8], note: "on the parser"))
        #expect(BusEventFormatter.summary(events[0]) == "beta status: member (rust 0.80) — on the parser")
    }

    @Test func observersReadAndChatButNeitherVoteNorApply() async throws {
        let bus = try await bus()
        try await bus.say(from: "owl", "just watching", crew: "api")
        let p = try await bus.createProposal("ship", by: "alpha", crew: "api")
        // Not in the electorate: alpha and beta decide alone.
        #expect(await bus.proposal(p)?.electorate == ["alpha", "beta"])
        try await refuses(bus, .vote(from: "owl", proposal: p, choice: .yes),
                          .notAllowed("owl is an observer: observers read and chat but do not vote"))
        let ahoy = try await bus.postAhoy(from: "alpha", role: "dev", budget: 3)
        try await refuses(bus, .apply(from: "owl", ahoy: ahoy, pitch: "", relevantSkills: []),
                          .notAllowed("owl is an observer: observers read and chat but do not apply to ahoys"))
        // A bus-wide proposal leaves observers out too.
        let q = try await bus.createProposal("everyone", by: "beta")
        #expect(await bus.proposal(q)?.electorate == ["alpha", "beta", "gamma"])
    }
}
