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
