#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDBSQLite

/// The SQLite log's append path, on a connection of its own with prepared statements: the one transaction a
/// command needs (BEGIN IMMEDIATE, read the last seq, INSERT, COMMIT) costs about what the C API costs, with
/// none of the hops a general-purpose pool adds. It runs inline on the caller (the bus's actor) — a commit in
/// WAL with synchronous=NORMAL is a write without fsync — and only when another process holds the write lock
/// does the caller wait, on a queue of its own. Checkpoints, which do fsync, run off the append path.
final class SQLiteWriter: @unchecked Sendable {
    private let lock = NSLock()
    private let db: OpaquePointer
    private let path: String
    private var begin: OpaquePointer?, last: OpaquePointer?, insert: OpaquePointer?, commit: OpaquePointer?,
                rollback: OpaquePointer?
    private var sinceCheckpoint = 0
    private let checkpoints = DispatchQueue(label: "b00t.sqlite.checkpoint", qos: .utility)
    private let waits = DispatchQueue(label: "b00t.sqlite.busy")

    /// Pages written since the last checkpoint after which one is started in the background.
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
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=\(synchronous.rawValue)", "PRAGMA wal_autocheckpoint=0"] {
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
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func close() {
        for statement in [begin, last, insert, commit, rollback] { sqlite3_finalize(statement) }
        begin = nil; last = nil; insert = nil; commit = nil; rollback = nil
        sqlite3_close_v2(db)
    }

    /// Appends inline unless another process holds the write lock: then nil, and the caller waits with
    /// `appendWaiting` instead (off its executor).
    func appendNow(_ events: [BusEvent], expectedLastSeq: UInt64) throws -> Bool? {
        try lock.withLock { try appendLocked(events, expectedLastSeq: expectedLastSeq, busyTimeoutMs: 0) }
    }

    /// The same, waiting up to 30 s for the lock, on a queue of its own.
    func appendWaiting(_ events: [BusEvent], expectedLastSeq: UInt64) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            waits.async {
                continuation.resume(with: Result {
                    try self.lock.withLock {
                        try self.appendLocked(events, expectedLastSeq: expectedLastSeq, busyTimeoutMs: 30_000) ?? false
                    }
                })
            }
        }
    }

    private func appendLocked(_ events: [BusEvent], expectedLastSeq: UInt64, busyTimeoutMs: Int32) throws -> Bool? {
        sqlite3_busy_timeout(db, busyTimeoutMs)
        let started = sqlite3_step(begin)
        sqlite3_reset(begin)
        if started == SQLITE_BUSY || started == SQLITE_LOCKED { return nil }
        guard started == SQLITE_DONE else { throw failure("BEGIN") }
        func abandon(_ error: BusError?) throws -> Bool {
            sqlite3_step(rollback)
            sqlite3_reset(rollback)
            if let error { throw error }
            return false
        }
        guard sqlite3_step(last) == SQLITE_ROW else {
            sqlite3_reset(last)
            return try abandon(failure("reading the last event"))
        }
        let end = UInt64(max(0, sqlite3_column_int64(last, 0)))
        sqlite3_reset(last)
        guard end == expectedLastSeq else { return try abandon(nil) }
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
            guard rc == SQLITE_DONE else { return try abandon(failure("inserting event \(event.seq)")) }
        }
        let committed = sqlite3_step(commit)
        sqlite3_reset(commit)
        guard committed == SQLITE_DONE else { return try abandon(failure("COMMIT")) }
        sinceCheckpoint += events.count
        if sinceCheckpoint >= Self.checkpointEvery {
            sinceCheckpoint = 0
            scheduleCheckpoint()
        }
        return true
    }

    private func failure(_ what: String) -> BusError {
        .storage("append to \(path) failed while \(what): \(String(cString: sqlite3_errmsg(db)))")
    }

    /// Copies the WAL into the database on a connection of its own, without blocking appends (PASSIVE).
    private func scheduleCheckpoint() {
        let path = self.path
        checkpoints.async {
            var handle: OpaquePointer?
            guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle else { return }
            sqlite3_wal_checkpoint_v2(handle, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            sqlite3_close_v2(handle)
        }
    }
}
