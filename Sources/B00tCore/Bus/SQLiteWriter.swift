#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDBSQLite

/// The SQLite log's append path, on a connection of its own with prepared statements: the one transaction a
/// command needs (BEGIN IMMEDIATE, read the last seq, INSERT, COMMIT) costs about what the C API costs, with
/// none of the hops a general-purpose pool adds. It runs inline on the caller (the bus's actor) — a commit in
/// WAL with synchronous=NORMAL is a write without fsync — and never waits for a lock: when another process
/// holds it, the caller is told so and pauses without blocking its thread. Checkpoints, which do fsync, run
/// off the append path.
final class SQLiteWriter: @unchecked Sendable {
    private let lock = NSLock()
    private let db: OpaquePointer
    private let path: String
    private var begin: OpaquePointer?, last: OpaquePointer?, insert: OpaquePointer?, commit: OpaquePointer?,
                rollback: OpaquePointer?, tail: OpaquePointer?
    private var sinceCheckpoint = 0
    private let checkpoints = DispatchQueue(label: "b00t.sqlite.checkpoint", qos: .utility)

    /// Events appended since the last checkpoint after which one is started in the background.
    static let checkpointEvery = 1_000

    init(path: String, synchronous: SQLiteBusBackend.Synchronous) throws {
        self.path = path
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw BusError.storage("cannot open \(path) for writing: \(message)")
        }
        db = handle
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=\(synchronous.rawValue)", "PRAGMA wal_autocheckpoint=0", "PRAGMA journal_size_limit=16777216"] {
            guard sqlite3_exec(db, pragma, nil, nil, nil) == SQLITE_OK else {
                let message = String(cString: sqlite3_errmsg(db))
                sqlite3_close_v2(db)
                throw BusError.storage("cannot set up \(path): \(message)")
            }
        }
        func prepare(_ sql: String) throws -> OpaquePointer? {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
                throw BusError.storage("cannot prepare a statement on \(path): \(String(cString: sqlite3_errmsg(db)))")
            }
            return statement
        }
        do {
            begin = try prepare("BEGIN IMMEDIATE")
            last = try prepare("SELECT COALESCE(MAX(seq), 0) FROM events")
            insert = try prepare("INSERT INTO events (seq, ts, sender, conversation, reply_to, kind, body) VALUES (?, ?, ?, ?, ?, ?, ?)")
            commit = try prepare("COMMIT")
            rollback = try prepare("ROLLBACK")
            tail = try prepare("SELECT seq, ts, sender, conversation, reply_to, kind, body FROM events WHERE seq > ? ORDER BY seq")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func close() {
        for statement in [begin, last, insert, commit, rollback, tail] { sqlite3_finalize(statement) }
        begin = nil; last = nil; insert = nil; commit = nil; rollback = nil; tail = nil
        sqlite3_close_v2(db)
    }

    /// See `InlineAppendingBackend.appendLocked`. Never waits: another process's write lock (or another
    /// thread of this one inside this method) is `.busy`. The second value says whether rows were written.
    func appendLocked(after: UInt64, maxTail: Int, _ build: ([BusEvent]) throws -> [BusEvent]) throws -> (LockedAppendOutcome, Bool) {
        guard lock.try() else { return (.busy, false) }
        defer { lock.unlock() }
        let started = sqlite3_step(begin)
        sqlite3_reset(begin)
        if started == SQLITE_BUSY || started == SQLITE_LOCKED { return (.busy, false) }
        guard started == SQLITE_DONE else { throw failure("BEGIN") }
        var finished = false
        defer {
            if !finished {
                sqlite3_step(rollback)
                sqlite3_reset(rollback)
            }
        }
        guard sqlite3_step(last) == SQLITE_ROW else {
            sqlite3_reset(last)
            throw failure("reading the last event")
        }
        let end = UInt64(max(0, sqlite3_column_int64(last, 0)))
        sqlite3_reset(last)
        guard end >= after else { throw BusError.logRewound(store: "sqlite:\(path)", seen: after, now: end) }
        guard end - after <= UInt64(max(0, maxTail)) else { return (.behind, false) }
        let tail = end > after ? try readTail(after: after) : []
        let events = try build(tail)
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        for event in events {
            let body = EventJSON.encodeBody(event.body)
            sqlite3_bind_int64(insert, 1, Int64(event.seq))
            sqlite3_bind_int64(insert, 2, BusTime.milliseconds(event.timestamp))
            sqlite3_bind_text(insert, 3, event.from, -1, transient)
            sqlite3_bind_text(insert, 4, event.conversationID, -1, transient)
            if let reply = event.replyTo { sqlite3_bind_int64(insert, 5, Int64(reply)) } else { sqlite3_bind_null(insert, 5) }
            sqlite3_bind_text(insert, 6, event.body.kind, -1, transient)
            body.withUnsafeBytes { _ = sqlite3_bind_blob(insert, 7, $0.baseAddress, Int32($0.count), transient) }
            let rc = sqlite3_step(insert)
            sqlite3_reset(insert)
            guard rc == SQLITE_DONE else { throw failure("inserting event \(event.seq)") }
        }
        let committed = sqlite3_step(commit)
        sqlite3_reset(commit)
        guard committed == SQLITE_DONE else { throw failure("COMMIT") }
        finished = true
        sinceCheckpoint += events.count
        if sinceCheckpoint >= Self.checkpointEvery {
            sinceCheckpoint = 0
            scheduleCheckpoint()
        }
        return (.done, !events.isEmpty)
    }

    /// Events other writers appended after `after`, read inside our transaction (so exactly up to the end we saw).
    private func readTail(after: UInt64) throws -> [BusEvent] {
        sqlite3_bind_int64(tail, 1, Int64(after))
        defer { sqlite3_reset(tail) }
        var rows: [EventRow] = []
        while true {
            let rc = sqlite3_step(tail)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw failure("reading events after \(after)") }
            func text(_ column: Int32) -> String {
                sqlite3_column_text(tail, column).map { String(cString: $0) } ?? ""
            }
            let length = Int(sqlite3_column_bytes(tail, 6))
            let body = sqlite3_column_blob(tail, 6).map { Data(bytes: $0, count: length) } ?? Data()
            rows.append(EventRow(seq: sqlite3_column_int64(tail, 0), ts: sqlite3_column_int64(tail, 1), sender: text(2),
                                 conversation: text(3),
                                 replyTo: sqlite3_column_type(tail, 4) == SQLITE_NULL ? nil : sqlite3_column_int64(tail, 4),
                                 kind: text(5), body: body))
        }
        return try EventRow.decode(rows)
    }

    private func failure(_ what: String) -> BusError {
        .storage("append to \(path) failed while \(what): \(String(cString: sqlite3_errmsg(db)))")
    }

    /// Copies the WAL into the database on a connection of its own and restarts it, so it stays small. A
    /// PASSIVE checkpoint would never finish under a steady stream of appends (new frames land while it copies,
    /// so the WAL is never complete and never rewound: 85 MB for 20,000 events), and a RESTART one would starve
    /// waiting for the write lock our own appends retake within microseconds. So it holds this writer's lock
    /// for the copy and fsync: this process's appends find it busy and queue for one group commit after it,
    /// without blocking the bus's thread; other processes' writers are waited for by SQLite's busy handler.
    /// The connection must have read the file once: before that it does not know the file is in WAL mode, and
    /// a checkpoint on it does nothing.
    private func scheduleCheckpoint() {
        let path = self.path
        checkpoints.async { [self] in
            lock.withLock { checkpointer.run(path: path) }
        }
    }
    private let checkpointer = Checkpointer()
}

/// The checkpoint connection, opened on first use and only touched from the checkpoint queue.
private final class Checkpointer: @unchecked Sendable {
    private var db: OpaquePointer?

    deinit { sqlite3_close_v2(db) }

    func run(path: String) {
        if db == nil {
            var handle: OpaquePointer?
            guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
                  sqlite3_exec(handle, "PRAGMA journal_mode", nil, nil, nil) == SQLITE_OK,
                  sqlite3_busy_timeout(handle, 250) == SQLITE_OK else {
                sqlite3_close_v2(handle)
                return
            }
            db = handle
        }
        // Busy (a reader held on for 250 ms) is fine: the next one catches up.
        sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_RESTART, nil, nil)
    }
}
