#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// A writer killed with SIGKILL mid-stream loses no acknowledged event, and the log still folds.
@Suite struct BusCrashTests {
    @Test func sigkilledWriterLosesNoAcknowledgedEvent() async throws {
        let dir = TempDir("b00t-crash")
        let db = dir.path + "/bus.sqlite"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
        process.arguments = ["bus", "load", "--db", db, "--count", "1000000"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()

        var acknowledged: UInt64 = 0
        var buffer = Data()
        let reader = out.fileHandleForReading
        while acknowledged < 300 {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            buffer.append(chunk)
            let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            for line in lines.dropLast() { acknowledged = max(acknowledged, UInt64(line) ?? 0) }
        }
        kill(process.processIdentifier, SIGKILL)
        // Whatever it acknowledged before dying is still in the pipe.
        buffer.append(reader.readDataToEndOfFile())
        for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") {
            acknowledged = max(acknowledged, UInt64(line) ?? 0)
        }
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(acknowledged >= 300)

        let bus = try await MessageBus(backend: try SQLiteBusBackend(path: db))
        let state = await bus.state
        #expect(state.lastSeq >= acknowledged)
        let events = try await bus.events()
        #expect(events.map(\.seq) == Array(1...state.lastSeq))
        #expect(state.messageCount == Int(state.lastSeq) - 1)
        // And the reopened log takes new appends after the last one.
        let next = try await bus.submit(.say(from: "loader", crew: nil, to: nil, text: "after the crash"))
        #expect(next.first?.seq == state.lastSeq + 1)
    }

    @Test func damagedDatabaseIsAClearError() async throws {
        let dir = TempDir("b00t-damaged")
        let db = dir.path + "/bus.sqlite"
        do {
            let bus = try await MessageBus(backend: try SQLiteBusBackend(path: db))
            try await bus.register(BusAgent(id: "a"))
        }
        // Overwrite the header: no longer a SQLite database.
        let handle = try #require(FileHandle(forWritingAtPath: db))
        try handle.write(contentsOf: Data(repeating: 0x41, count: 100))
        try handle.close()
        try? FileManager.default.removeItem(atPath: db + "-wal")
        try? FileManager.default.removeItem(atPath: db + "-shm")
        await #expect {
            _ = try await MessageBus(backend: try SQLiteBusBackend(path: db))
        } throws: { error in
            "\(error)".contains(db) && "\(error)".contains("move it aside")
        }
    }

    @Test func corruptEventBodyNamesItsSequenceNumber() async throws {
        let dir = TempDir("b00t-badrow")
        let db = dir.path + "/bus.sqlite"
        do {
            let bus = try await MessageBus(backend: try SQLiteBusBackend(path: db))
            try await bus.register(BusAgent(id: "a"))
            try await bus.say(from: "a", "hello")
        }
        _ = try run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update events set body='{oops' where seq=2\"); c.commit()", db])
        await #expect(throws: BusError.self) { _ = try await MessageBus(backend: try SQLiteBusBackend(path: db)) }
        do {
            _ = try await MessageBus(backend: try SQLiteBusBackend(path: db))
        } catch let error as BusError {
            guard case .corruptLog(let seq, _) = error else { Issue.record("\(error)"); return }
            #expect(seq == 2)
        }
    }

    @Test func twoProcessesShareOneSQLiteBus() async throws {
        let dir = TempDir("b00t-shared")
        let db = dir.path + "/bus.sqlite"
        let writers = try (0..<3).map { i -> Process in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
            p.arguments = ["bus", "load", "--db", db, "--count", "200", "--agent", "w\(i)"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            return p
        }
        // A reader in this process sees the other processes' events arrive.
        let reader = try await MessageBus(backend: try SQLiteBusBackend(path: db))
        var seen = 0
        for try await event in reader.subscribe(after: 0) {
            if case .message = event.body { seen += 1 }
            if seen == 600 { break }
        }
        for w in writers { w.waitUntilExit() }
        #expect(writers.map(\.terminationStatus) == [0, 0, 0])
        let bus = try await MessageBus(backend: try SQLiteBusBackend(path: db))
        #expect(await bus.state.messageCount == 600)
        #expect(await bus.state.lastSeq == 603)
    }
}

@Suite struct SQLiteRecoveryTests {
    /// Large reads decode on several cores: the fold must come out identical and a bad row still names its seq.
    @Test func largeLogFoldsTheSameAndNamesABadRow() async throws {
        let dir = TempDir("b00t-recover")
        let db = dir.path + "/bus.sqlite"
        let live: BusState
        do {
            let bus = try await MessageBus(backend: try SQLiteBusBackend(path: db))
            try await bus.register(BusAgent(id: "a"))
            for batch in 0..<10 {
                try await bus.submit((0..<1_000).map { BusCommand.say(from: "a", crew: nil, to: nil, text: "m\(batch)-\($0)") })
            }
            live = await bus.state
        }
        // A full fold (no snapshot): the large read is what this test is about.
        let reopened = try await MessageBus(backend: try SQLiteBusBackend(path: db), snapshots: .never)
        #expect(await reopened.state == live)
        _ = try run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update events set body='{oops' where seq=7000\"); c.commit()", db])
        do {
            _ = try await MessageBus(backend: try SQLiteBusBackend(path: db), snapshots: .never)
            Issue.record("expected a corrupt-log error")
        } catch let error as BusError {
            guard case .corruptLog(let seq, _) = error else { Issue.record("\(error)"); return }
            #expect(seq == 7000)
        }
    }
}

/// The same guarantee on the group-commit path: two processes with eight submitters each contend for one
/// SQLite file (so appends find the other's write lock and queue up for a group transaction), and one is
/// killed mid-stream while the other runs to the end.
@Suite struct GroupCommitCrashTests {
    /// Collects a process's acknowledged sequence numbers on a thread of its own, so its pipe never fills.
    final class AckCollector: @unchecked Sendable {
        private let lock = NSLock()
        private var seqs: Set<UInt64> = []
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                var buffer = Data()
                while true {
                    let chunk = handle.availableData
                    if chunk.isEmpty { break }
                    buffer.append(chunk)
                    guard let cut = buffer.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                    let lines = String(decoding: buffer[..<cut], as: UTF8.self).split(separator: "\n").compactMap { UInt64($0) }
                    buffer.removeSubrange(...cut)
                    lock.withLock { seqs.formUnion(lines) }
                }
                done.signal()
            }
        }
        var count: Int { lock.withLock { seqs.count } }
        func finish() -> Set<UInt64> {
            done.wait()
            return lock.withLock { seqs }
        }
    }

    @Test func sigkilledGroupCommitterLosesNoAcknowledgedEvent() async throws {
        let dir = TempDir("b00t-group-crash")
        let db = dir.path + "/bus.sqlite"
        func loader(_ agent: String, count: Int, stdout: Pipe, stderr: Pipe) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
            process.arguments = ["bus", "load", "--db", db, "--count", "\(count)", "--submitters", "8", "--agent", agent]
            process.standardOutput = stdout
            process.standardError = stderr
            try process.run()
            return process
        }
        let victimOut = Pipe(), survivorOut = Pipe(), survivorErr = Pipe()
        let victim = try loader("victim", count: 1_000_000, stdout: victimOut, stderr: Pipe())
        let victimAcks = AckCollector(victimOut.fileHandleForReading)
        let deadline = Date().addingTimeInterval(30)
        while victimAcks.count < 500, Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        // The survivor runs its whole course while the victim writes as fast as it can.
        let survivor = try loader("survivor", count: 30_000, stdout: survivorOut, stderr: survivorErr)
        let survivorAcks = AckCollector(survivorOut.fileHandleForReading).finish()
        let survivorLog = String(decoding: survivorErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        survivor.waitUntilExit()
        kill(victim.processIdentifier, SIGKILL)
        victim.waitUntilExit()
        let acknowledged = victimAcks.finish()
        #expect(victim.terminationReason == .uncaughtSignal)
        #expect(survivor.terminationStatus == 0, "\(survivorLog)")
        #expect(acknowledged.count >= 500)
        #expect(survivorAcks.count == 30_000)
        // The survivor really went the waiting way (the victim held the lock at times).
        let waited = survivorLog.split(separator: "\n").first { $0.hasPrefix("transactions that waited:") }
            .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        #expect(waited > 0, "\(survivorLog)")

        let bus = try await MessageBus(backend: try SQLiteBusBackend(path: db))
        let events = try await bus.events()
        let state = await bus.state
        #expect(events.map(\.seq) == Array(1...state.lastSeq))
        let senders = Dictionary(events.map { ($0.seq, $0.from) }, uniquingKeysWith: { a, _ in a })
        #expect(acknowledged.allSatisfy { senders[$0] == "victim" })
        #expect(survivorAcks.allSatisfy { senders[$0] == "survivor" })
        #expect(events.filter { $0.from == "survivor" && $0.body.kind == "message" }.count == 30_000)
    }
}
