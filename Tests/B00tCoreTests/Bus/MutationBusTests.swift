import Foundation
import Testing
@testable import B00tCore

/// A well-formed mutation for bus tests (a real diff of a real edit).
enum MutationFixture {
    static let before = Array("[b00t]\nname = \"demo\"\ntype = \"cli\"\ndesires = \"1.0\"\n".utf8)

    static func mutation(approval: MutationApproval, value: String = "2.0") -> DatumMutation {
        let after = Array("[b00t]\nname = \"demo\"\ntype = \"cli\"\ndesires = \"\(value)\"\n".utf8)
        return DatumMutation(datum: "demo.cli", baseHash: DatumMutation.hash(before), newHash: DatumMutation.hash(after),
                             diff: UnifiedDiff.make(old: before, new: after, name: "demo.cli.toml"),
                             summary: "set desires = \"\(value)\"", approval: approval)
    }
}

/// The bus half of self-mutating datums: a mutation proposal is a proposal plus the change; applying it is
/// claimed on the log, once.
@Suite struct MutationBusTests {
    func bus() async throws -> MessageBus {
        let bus = try await MessageBus(backend: MemoryBusBackend())
        for id in ["alpha", "beta", "gamma", "delta"] { try await bus.register(BusAgent(id: id)) }
        try await bus.formCrew(initiator: "alpha", members: ["beta", "gamma"], purpose: "datums", name: "keepers")
        return bus
    }

    func refuses(_ bus: MessageBus, _ command: BusCommand, code: String, containing text: String,
                 sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let before = try await bus.events().count
        do {
            try await bus.submit(command)
            Issue.record("expected a refusal (\(code))", sourceLocation: sourceLocation)
        } catch let error as BusError {
            #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
            #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
        }
        #expect(try await bus.events().count == before, sourceLocation: sourceLocation)
    }

    @Test func aMutationProposalIsAProposalToTheCrewItsApprovalNames() async throws {
        let bus = try await bus()
        let events = try await bus.submit(.proposeMutation(from: "alpha", crew: "keepers", mutation: MutationFixture.mutation(approval: .crew("keepers"))))
        #expect(events.map(\.body.kind) == ["mutation", "proposal"])
        let id = events[0].conversationID
        let state = await bus.state
        #expect(state.proposals[id]?.electorate == ["alpha", "beta", "gamma"])
        #expect(state.proposals[id]?.text == "mutate demo.cli: set desires = \"2.0\"")
        #expect(state.mutations[id]?.status == .pending)
        // Voting is the ordinary proposal vote: a strict majority of the crew.
        try await bus.vote(id, voter: "beta", choice: .yes)
        await #expect(throws: BusError.self) { try await bus.vote(id, voter: "delta", choice: .yes) }
        try await bus.vote(id, voter: "gamma", choice: .yes)
        #expect(await bus.state.proposals[id]?.status == .passed)

        try await refuses(bus, .proposeMutation(from: "alpha", crew: nil, mutation: MutationFixture.mutation(approval: .crew("keepers"))),
                          code: "invalid", containing: "approved by crew keepers")
        try await refuses(bus, .proposeMutation(from: "alpha", crew: "keepers", mutation: MutationFixture.mutation(approval: .everyone)),
                          code: "invalid", containing: "without one")
        try await refuses(bus, .proposeMutation(from: "delta", crew: "keepers", mutation: MutationFixture.mutation(approval: .crew("keepers"))),
                          code: "forbidden", containing: "delta is not in crew keepers")
    }

    @Test func malformedMutationsNeverReachAVote() async throws {
        let bus = try await bus()
        var bad = MutationFixture.mutation(approval: .everyone)
        bad.baseHash = "abc"
        try await refuses(bus, .proposeMutation(from: "alpha", crew: nil, mutation: bad), code: "invalid", containing: "base_hash")
        bad = MutationFixture.mutation(approval: .everyone)
        bad.diff = "rm -rf /"
        try await refuses(bus, .proposeMutation(from: "alpha", crew: nil, mutation: bad), code: "invalid", containing: "not a unified diff")
        bad = MutationFixture.mutation(approval: .everyone)
        bad.datum = "../../etc/passwd"
        try await refuses(bus, .proposeMutation(from: "alpha", crew: nil, mutation: bad), code: "invalid", containing: "name.type")
        bad = MutationFixture.mutation(approval: .everyone)
        bad.summary = "line\nbreak"
        try await refuses(bus, .proposeMutation(from: "alpha", crew: nil, mutation: bad), code: "invalid", containing: "summary")
        bad = MutationFixture.mutation(approval: .everyone)
        bad.diff = "--- a\n+++ b\n@@ -1,1 +1,1 @@\n" + String(repeating: "+x\n", count: 20_000)
        try await refuses(bus, .proposeMutation(from: "alpha", crew: nil, mutation: bad), code: "invalid", containing: "at most")
    }

    @Test func theFirstClaimAfterThePassWinsAndOnlyItsClaimantFinishes() async throws {
        let bus = try await bus()
        let id = try await bus.submit(.proposeMutation(from: "alpha", crew: nil, mutation: MutationFixture.mutation(approval: .everyone)))[0].conversationID
        let lease = Date().addingTimeInterval(30)
        try await refuses(bus, .claimMutation(from: "beta", proposal: id, leaseUntil: lease), code: "invalid", containing: "has not passed yet")
        for voter in ["alpha", "beta", "gamma"] { try await bus.vote(id, voter: voter, choice: .yes) }
        try await bus.submit(.claimMutation(from: "beta", proposal: id, leaseUntil: lease))
        try await refuses(bus, .claimMutation(from: "gamma", proposal: id, leaseUntil: lease), code: "closed", containing: "being applied by beta")
        try await refuses(bus, .completeMutation(from: "gamma", proposal: id, commit: nil, note: "x"), code: "forbidden", containing: "beta")
        try await refuses(bus, .completeMutation(from: "beta", proposal: id, commit: "XYZ", note: ""), code: "invalid", containing: "git object id")
        // The claimant may claim again (a restart after a crash resumes its own claim).
        try await bus.submit(.claimMutation(from: "beta", proposal: id, leaseUntil: lease))
        let done = try await bus.submit(.completeMutation(from: "beta", proposal: id, commit: "0123456789abcdef0123456789abcdef01234567", note: "committed"))
        #expect(done.map(\.body.kind) == ["datum_mutated"])
        #expect(await bus.state.mutations[id]?.status == .applied)
        #expect(await bus.state.mutations[id]?.commit == "0123456789abcdef0123456789abcdef01234567")
        try await refuses(bus, .claimMutation(from: "gamma", proposal: id, leaseUntil: lease), code: "closed", containing: "already applied (commit 0123456789ab)")
    }

    @Test func anExpiredClaimCanBeTakenOver() throws {
        var state = BusState()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        func run(_ command: BusCommand, at time: Date) throws {
            let drafts = try state.validate(command, now: time)
            for draft in drafts {
                state.apply(BusEvent(seq: state.lastSeq + 1, timestamp: time, from: draft.from,
                                     conversationID: draft.conversationID ?? "evt-\(state.lastSeq + 1)", replyTo: draft.replyTo, body: draft.body))
            }
        }
        try run(.register(agent: BusAgent(id: "a")), at: t0)
        try run(.register(agent: BusAgent(id: "b")), at: t0)
        // A solo mutation (approval "none") passes on the proposer's word, and only the proposer applies it.
        try run(.proposeMutation(from: "a", crew: nil, mutation: MutationFixture.mutation(approval: .none)), at: t0)
        #expect(state.proposals["prop-3"]?.status == .passed)
        #expect(throws: BusError.self) { try run(.claimMutation(from: "b", proposal: "prop-3", leaseUntil: t0.addingTimeInterval(5)), at: t0) }
        // A voted one: a claims it with a short lease; b takes over only once the lease is past.
        try run(.proposeMutation(from: "a", crew: nil, mutation: MutationFixture.mutation(approval: .everyone, value: "4")), at: t0)
        let id = "prop-\(state.lastSeq - 1)"
        try run(.vote(from: "a", proposal: id, choice: .yes), at: t0)
        try run(.vote(from: "b", proposal: id, choice: .yes), at: t0)
        #expect(state.proposals[id]?.status == .passed)
        try run(.claimMutation(from: "a", proposal: id, leaseUntil: t0.addingTimeInterval(5)), at: t0)
        #expect(throws: BusError.self) { try run(.claimMutation(from: "b", proposal: id, leaseUntil: t0.addingTimeInterval(20)), at: t0.addingTimeInterval(4)) }
        try run(.claimMutation(from: "b", proposal: id, leaseUntil: t0.addingTimeInterval(20)), at: t0.addingTimeInterval(6))
        #expect(state.mutations[id]?.claimedBy == "b")
        // The old claimant is out: only b may record the outcome now.
        #expect(throws: BusError.self) { try run(.rejectMutation(from: "a", proposal: id, reason: "late"), at: t0.addingTimeInterval(7)) }
        try run(.rejectMutation(from: "b", proposal: id, reason: "stale: the file changed"), at: t0.addingTimeInterval(7))
        #expect(state.mutations[id]?.status == .rejected)
        #expect(state.mutations[id]?.note == "stale: the file changed")
        #expect(throws: BusError.self) { try run(.claimMutation(from: "a", proposal: id, leaseUntil: t0.addingTimeInterval(60)), at: t0.addingTimeInterval(8)) }
        // A lease longer than the limit is refused.
        try run(.proposeMutation(from: "a", crew: nil, mutation: MutationFixture.mutation(approval: .none, value: "3")), at: t0)
        #expect(throws: BusError.self) { try run(.claimMutation(from: "a", proposal: "prop-\(state.lastSeq - 3)", leaseUntil: t0.addingTimeInterval(3600)), at: t0) }
    }

    @Test func aFailedVoteLeavesNothingToApply() async throws {
        let bus = try await bus()
        let id = try await bus.submit(.proposeMutation(from: "alpha", crew: "keepers", mutation: MutationFixture.mutation(approval: .crew("keepers"))))[0].conversationID
        try await bus.vote(id, voter: "beta", choice: .no)
        try await bus.vote(id, voter: "gamma", choice: .no)
        #expect(await bus.state.proposals[id]?.status == .rejected)
        try await refuses(bus, .claimMutation(from: "alpha", proposal: id, leaseUntil: Date().addingTimeInterval(10)),
                          code: "closed", containing: "was rejected")
    }

    @Test func mutationsSurviveASnapshot() async throws {
        let bus = try await bus()
        try await bus.submit(.proposeMutation(from: "alpha", crew: nil, mutation: MutationFixture.mutation(approval: .none)))
        let state = await bus.state
        let data = try BusSnapshot(state: state).encoded()
        let read = try BusSnapshot.decode(data, source: "test")
        #expect(read.state == state)
        #expect(read.state.mutations.count == 1)
    }
}
