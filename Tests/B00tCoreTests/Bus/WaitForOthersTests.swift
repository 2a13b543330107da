import Foundation
import Synchronization
import Testing
@testable import B00tCore

/// The live tail's watcher parks in `BusBackend.waitForOthers`: another writer's append ends the wait on every
/// backend, and on SQLite this process's own appends never do (the bus hands those over itself; being woken by
/// each of them cost the daemon a third of its CPU in the soak).
@Suite struct WaitForOthersTests {
    /// What the caller has already handed over, as the watcher's `known` closure reads it.
    final class Known: Sendable {
        private let value: Mutex<UInt64>
        init(_ start: UInt64) { value = Mutex(start) }
        func set(_ seq: UInt64) { value.withLock { $0 = seq } }
        var read: @Sendable () -> UInt64 { { self.value.withLock { $0 } } }
    }

    @Test(arguments: BackendKind.allCases) func anotherWritersAppendEndsTheWait(kind: BackendKind) async throws {
        let store = try kind.make()
        let ours = try await MessageBus(backend: store.backend)
        let theirs = try await MessageBus(backend: try store.reopen())
        try await ours.register(BusAgent(id: "ours"))
        let known = Known(try await store.backend.lastSequence())
        let waiting = Task { await store.backend.waitForOthers(known: known.read, timeout: .seconds(10)) }
        try await Task.sleep(for: .milliseconds(50))
        let events = try await theirs.submit(.register(agent: BusAgent(id: "theirs")))
        let end = await waiting.value
        #expect(end != nil && end == events.last?.seq, "the wait ended with the other writer's append: \(String(describing: end))")
    }

    @Test func sqliteOwnAppendsDoNotEndTheWait() async throws {
        let store = try BackendKind.sqlite.make()
        let bus = try await MessageBus(backend: store.backend)
        try await bus.register(BusAgent(id: "ours"))
        var end = try await store.backend.lastSequence()
        let known = Known(end)
        let began = ContinuousClock.now
        let waiting = Task { await store.backend.waitForOthers(known: known.read, timeout: .milliseconds(600)) }
        for n in 0..<30 {
            // Handed over before it lands, as the bus does microseconds after its commit.
            known.set(end + 1)
            let events = try await bus.submit(.say(from: "ours", crew: nil, to: nil, text: "own \(n)"))
            #expect(events.last?.seq == end + 1)
            end += 1
            try await Task.sleep(for: .milliseconds(10))
        }
        // Before: the store's wait woke on each local append and the watcher looked at the store every time.
        #expect(await waiting.value == nil)
        #expect(ContinuousClock.now - began >= .milliseconds(600))
        // And someone else's append is still seen while ours flow.
        let other = try await MessageBus(backend: try store.reopen())
        let again = Task { await store.backend.waitForOthers(known: known.read, timeout: .seconds(10)) }
        let theirs = try await other.submit(.register(agent: BusAgent(id: "theirs")))
        #expect(await again.value == theirs.last?.seq)
    }
}
