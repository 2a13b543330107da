import Foundation
import GRDB
import Testing
import B00tTestSupport
@testable import B00tCore

/// Snapshots stored in the backend: opening folds the newest usable one plus the tail, and the result is the
/// state a full fold gives — on random logs, over every backend; damaged ones are skipped and reported.
@Suite struct BusSnapshotStoreTests {
    /// A random crew history: registrations, chat, handshakes and replies, crews, proposals and votes, ahoys
    /// with applications and awards, teaching and sharing. Refused commands are simply dropped.
    static func randomHistory(on bus: MessageBus, commands: Int, seed: UInt64) async throws {
        var rng = SplitMix(seed: seed)
        let agents = (0..<6).map { "a\($0)" }
        for id in agents {
            try await bus.register(BusAgent(id: id, skills: ["rust": Double(rng.next() % 100) / 100, "swift": 0.5]))
        }
        for i in 0..<commands {
            let state = await bus.state
            let from = agents[Int(rng.next() % 6)], other = agents[Int(rng.next() % 6)]
            func pick<T>(_ values: [T]) -> T? { values.isEmpty ? nil : values[Int(rng.next() % UInt64(values.count))] }
            let command: BusCommand?
            switch rng.next() % 12 {
            case 0, 1: command = .say(from: from, crew: pick(Array(state.crews.keys)), to: nil, text: "m\(i) ✓")
            case 2: command = .handshake(from: from, to: other, proposal: "pair on \(i)")
            case 3: command = pick(Array(state.handshakes.keys)).map { .replyHandshake(from: other, handshake: $0, accept: rng.next() % 2 == 0, reason: nil) }
            case 4: command = .formCrew(from: from, name: "c\(i % 7)", members: [from, other], purpose: "p")
            case 5: command = .propose(from: from, text: "plan \(i)", crew: nil, threshold: nil, quorum: nil)
            case 6: command = pick(Array(state.proposals.keys)).map { .vote(from: from, proposal: $0, choice: rng.next() % 3 == 0 ? .no : .yes) }
            case 7: command = .postAhoy(from: from, role: "dev", description: "job \(i)", requiredSkills: ["rust"], budget: Int(rng.next() % 500), replyBy: nil)
            case 8: command = pick(Array(state.ahoys.keys)).map { .apply(from: from, ahoy: $0, pitch: "me", relevantSkills: ["rust"]) }
            case 9: command = pick(Array(state.ahoys.values.filter { !$0.applications.isEmpty }))
                .map { .award(from: $0.from, ahoy: $0.id, winner: $0.applications[0].from) }
            case 10: command = .teach(from: from, to: other, skill: "rust", method: .pairProgramming)
            default: command = pick(Array(state.crews.keys)).map { .share(from: from, crew: $0, topic: "t", content: "c\(i)", skillImpact: ["swift": 0.01]) }
            }
            if let command { _ = try? await bus.submit([command]) }
        }
    }

    static func fold(_ events: [BusEvent]) -> BusState {
        var state = BusState()
        for event in events { state.apply(event) }
        return state
    }

    @Test func snapshotPlusTailEqualsTheFullFoldOnRandomLogs() async throws {
        for seed in UInt64(1)...12 {
            let bus = try await MessageBus(backend: MemoryBusBackend(), snapshots: .never)
            try await Self.randomHistory(on: bus, commands: 300, seed: seed)
            let log = try await bus.events(after: 0, limit: .max)
            let whole = Self.fold(log)
            #expect(whole == (await bus.state))
            var rng = SplitMix(seed: seed &* 31)
            for _ in 0..<8 {
                let cut = Int(rng.next() % UInt64(log.count + 1))
                let stored = try StoredSnapshot.encode(Self.fold(Array(log.prefix(cut))), anchorEvent: cut == 0 ? nil : log[cut - 1])
                var (state, anchor) = try stored.decode()
                #expect(anchor == StoredSnapshot.anchor(of: cut == 0 ? nil : log[cut - 1]))
                for event in log.dropFirst(cut) { state.apply(event) }
                #expect(state == whole, "seed \(seed), cut at \(cut) of \(log.count)")
            }
        }
    }

    @Test(arguments: BackendKind.allCases)
    func reopeningStartsFromTheStoredSnapshotAndMatchesTheFullFold(kind: BackendKind) async throws {
        let store = try kind.make()
        let bus = try await MessageBus(backend: store.backend, snapshots: SnapshotPolicy(every: 50))
        try await Self.randomHistory(on: bus, commands: 400, seed: 7)
        try await bus.say(from: "a1", "after the last snapshot")
        await bus.waitForSnapshot()
        let expected = await bus.state
        let snapshots = try await (store.backend as! any SnapshotStoringBackend).storedSnapshots(limit: 10)
        #expect((1...2).contains(snapshots.count), "keeps the newest two")
        #expect((snapshots.first?.seq ?? 0) > 0)
        let reopened = try await MessageBus(backend: try store.reopen())
        let recovery = await reopened.recovery
        #expect(recovery.snapshotSeq == snapshots.first?.seq)
        #expect(recovery.tailEvents == expected.lastSeq - (snapshots.first?.seq ?? 0))
        #expect(recovery.rejected.isEmpty)
        #expect(await reopened.state == expected)
        let full = try await MessageBus(backend: try store.reopen(), snapshots: .never)
        #expect(await full.state == expected)
        #expect(await full.recovery.snapshotSeq == nil)
    }

    @Test func aCleanShutdownSnapshotLeavesNothingToFold() async throws {
        let dir = TempDir("snap-clean")
        let path = dir.path + "/bus.sqlite"
        let bus = try await MessageBus(backend: try SQLiteBusBackend(path: path))
        try await Self.randomHistory(on: bus, commands: 120, seed: 3)
        try await bus.saveSnapshot()
        let reopened = try await MessageBus(backend: try SQLiteBusBackend(path: path))
        #expect(await reopened.recovery.snapshotSeq == (await bus.state.lastSeq))
        #expect(await reopened.recovery.tailEvents == 0)
        #expect(await reopened.state == (await bus.state))
    }

    /// Damage of every kind: flipped byte, truncation, a foreign version, a snapshot from another log, garbage.
    @Test func aDamagedSnapshotFallsBackAndSaysSo() async throws {
        let damages: [(String, @Sendable (Data) -> Data)] = [
            ("checksum mismatch", { var d = $0; d[d.count - 5] ^= 0x20; return d }),
            ("truncated", { $0.prefix($0.count - 9) }),
            ("version 99", { Data(String(decoding: $0, as: UTF8.self).replacingOccurrences(of: "b00t-snapshot 1 ", with: "b00t-snapshot 99 ").utf8) }),
            ("not a b00t snapshot", { _ in Data("[[[\n".utf8) }),
            ("no header line", { _ in Data() }),
        ]
        for (expected, damage) in damages {
            let dir = TempDir("snap-damage")
            let path = dir.path + "/bus.sqlite"
            let bus = try await MessageBus(backend: try SQLiteBusBackend(path: path), snapshots: SnapshotPolicy(every: 40))
            try await Self.randomHistory(on: bus, commands: 200, seed: 11)
            for note in ["one", "two"] {  // at least two stored, whatever the background writer managed
                try await bus.say(from: "a2", note)
                try await bus.saveSnapshot()
            }
            let state = await bus.state
            let queue = try DatabaseQueue(path: path)
            let stored = try await queue.read { db in
                try Row.fetchAll(db, sql: "SELECT seq, data FROM snapshots ORDER BY seq DESC").map { ($0["seq"] as Int64, $0["data"] as Data) }
            }
            try #require(stored.count == 2)
            let (newest, newestData) = stored[0], older = stored[1].0
            try await queue.write { db in
                try db.execute(sql: "UPDATE snapshots SET data = ? WHERE seq = ?", arguments: [damage(newestData), newest])
            }
            let first = try await MessageBus(backend: try SQLiteBusBackend(path: path))
            var recovery = await first.recovery
            #expect(recovery.snapshotSeq == UInt64(older), "\(expected): the older snapshot is the fallback")
            #expect(recovery.rejected.count == 1 && recovery.description.contains(expected), "\(recovery)")
            #expect(await first.state == state)
            await first.waitForSnapshot()  // it stores a fresh one (the fallback cost a longer fold)
            // Both damaged: the whole log, said out loud.
            try await queue.write { db in try db.execute(sql: "UPDATE snapshots SET data = ?", arguments: [damage(newestData)]) }
            let second = try await MessageBus(backend: try SQLiteBusBackend(path: path))
            recovery = await second.recovery
            #expect(recovery.snapshotSeq == nil)
            #expect(recovery.tailEvents == state.lastSeq)
            #expect(recovery.description.contains("whole log"), "\(recovery)")
            #expect(await second.state == state)
            // …and the fold is paid once: a fresh snapshot is stored at once.
            await second.waitForSnapshot()
            let healed = try await MessageBus(backend: try SQLiteBusBackend(path: path))
            #expect(await healed.recovery.snapshotSeq == state.lastSeq)
        }
    }

    @Test func aSnapshotOfAnotherLogIsRefused() async throws {
        let dir = TempDir("snap-foreign")
        let a = try await MessageBus(backend: try SQLiteBusBackend(path: dir.path + "/a.sqlite"), snapshots: SnapshotPolicy(every: 30))
        try await Self.randomHistory(on: a, commands: 100, seed: 5)
        try await a.saveSnapshot()
        let b = try await MessageBus(backend: try SQLiteBusBackend(path: dir.path + "/b.sqlite"), snapshots: .never)
        try await Self.randomHistory(on: b, commands: 150, seed: 6)
        // a's newest snapshot planted into b's store: same kind of data, another history.
        let foreign = try #require(try await (a.backend as! SQLiteBusBackend).storedSnapshots(limit: 1).first)
        try await (b.backend as! SQLiteBusBackend).storeSnapshot(foreign, keep: 2)
        let reopened = try await MessageBus(backend: try SQLiteBusBackend(path: dir.path + "/b.sqlite"))
        let recovery = await reopened.recovery
        #expect(recovery.snapshotSeq == nil)
        #expect(recovery.description.contains("does not match event"), "\(recovery)")
        #expect(await reopened.state == (await b.state))
    }

    @Test func headersAreReadStrictly() throws {
        let good = try StoredSnapshot.encode(BusState(), anchorEvent: nil)
        #expect(throws: Never.self) { try good.decode() }
        let text = String(decoding: good.bytes, as: UTF8.self)
        for bad in [text.replacingOccurrences(of: " seq=0", with: " seq=1"),
                    text.replacingOccurrences(of: " bytes=", with: " bytes=9"),
                    text.replacingOccurrences(of: " sha256=", with: " sha256=0"),
                    text.replacingOccurrences(of: " anchor=none", with: ""),
                    String(repeating: "x", count: 600)] {
            #expect(throws: StoredSnapshot.Damage.self) { try StoredSnapshot(seq: 0, bytes: Data(bad.utf8)).decode() }
        }
    }
}

/// A small deterministic generator (tests replay the same "random" history from a seed).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
