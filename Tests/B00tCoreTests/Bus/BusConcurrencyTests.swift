import Foundation
import Testing
@testable import B00tCore

@Suite struct BusConcurrencyTests {
    /// Many concurrent submits on one bus interleave at the actor's suspension points (append, catch-up).
    /// Regression: a catch-up that resumed after another submit had folded the same events reported a
    /// "gap" (corrupt log) although the log was fine.
    @Test(arguments: BackendKind.allCases) func concurrentSubmitsNeverSeeAFalseGap(kind: BackendKind) async throws {
        let bus = try await kind.make().bus()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<8 {
                group.addTask {
                    try await bus.register(BusAgent(id: "a\(i)"))
                    for j in 0..<25 { try await bus.say(from: "a\(i)", "m\(j)") }
                }
            }
            try await group.waitForAll()
        }
        let state = await bus.state
        #expect(state.lastSeq == 8 * 26)
        #expect(state.messageCount == 8 * 25)
        #expect(BusState().applying(try await bus.events()) == state)
    }
}

@Suite struct PipelinedSubmitTests {
    @Test(arguments: BackendKind.allCases) func pipelinedBatchesLandInOrder(kind: BackendKind) async throws {
        let bus = try await kind.make().bus()
        try await bus.register(BusAgent(id: "w"))
        let batches = (0..<5).map { b in (0..<50).map { BusCommand.say(from: "w", crew: nil, to: nil, text: "b\(b) m\($0)") } }
        let events = try await bus.submitPipelined(batches)
        #expect(events.count == 250)
        #expect(events.map(\.seq) == Array(2...251))
        #expect(BusState().applying(try await bus.events()) == (await bus.state))
        // A batch that is refused refuses the whole call before anything is written.
        await #expect(throws: BusError.unknownAgent("ghost")) {
            try await bus.submitPipelined([[.say(from: "w", crew: nil, to: nil, text: "ok")], [.say(from: "ghost", crew: nil, to: nil, text: "no")]])
        }
        #expect(await bus.state.lastSeq == 251)
    }

    /// A stale writer's pipeline conflicts with another writer's append: what landed is folded and the rest
    /// is re-validated, so nothing is lost, duplicated or applied against the wrong state.
    @Test(arguments: BackendKind.allCases) func pipelineAfterAnotherWriterRevalidates(kind: BackendKind) async throws {
        let store = try kind.make()
        let a = try await store.bus()
        try await a.submit([.register(agent: BusAgent(id: "captain")), .register(agent: BusAgent(id: "dev"))])
        let ahoy = try await a.postAhoy(from: "captain", role: "job")
        try await a.applyToAhoy(ahoy, from: "dev")
        let b = try await MessageBus(backend: try store.reopen())
        try await a.awardAhoy(ahoy, to: "dev", by: "captain")  // b has not seen this
        await #expect(throws: BusError.closed("\(ahoy) was already awarded to dev")) {
            try await b.submitPipelined([[.say(from: "dev", crew: nil, to: nil, text: "one")],
                                         [.award(from: "captain", ahoy: ahoy, winner: "dev")]])
        }
        let events = try await b.submitPipelined([[.say(from: "dev", crew: nil, to: nil, text: "x")], [.say(from: "dev", crew: nil, to: nil, text: "y")]])
        #expect(events.count == 2)
        try await a.catchUp()
        #expect(await a.state == (await b.state))
        // Batches are each all-or-nothing: the first ("one") was re-validated and landed, once; the award was refused.
        #expect(await b.state.messageCount == 3)
        let texts = try await b.events().compactMap { event -> String? in
            if case .message(_, _, let text) = event.body { return text } else { return nil }
        }
        #expect(texts == ["one", "x", "y"])
    }
}
