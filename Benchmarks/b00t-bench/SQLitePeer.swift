import Foundation
import GRDBSQLite

/// The peer for single-command appends: the same transaction b00t's SQLite backend runs for one event —
/// BEGIN IMMEDIATE, read the last seq, INSERT one row, COMMIT — against libsqlite3 directly, same file
/// settings (WAL, synchronous=NORMAL, SQLite's default checkpoint every 1,000 pages — b00t checkpoints every
/// 1,000 events, about as often, on a connection of its own), same row shape and size.
/// What b00t adds on top (validation, the reducer, encoding, an actor) is the ratio.
enum SQLitePeer {
    static func appendsPerSecond(path: String, total: Int) -> Double {
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let db else { return .nan }
        defer { sqlite3_close_v2(db) }
        for sql in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, sender TEXT NOT NULL, conversation TEXT NOT NULL, reply_to INTEGER, kind TEXT NOT NULL, body BLOB NOT NULL)"] {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { return .nan }
        }
        var last: OpaquePointer?, insert: OpaquePointer?, begin: OpaquePointer?, commit: OpaquePointer?
        sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(seq), 0) FROM events", -1, &last, nil)
        sqlite3_prepare_v2(db, "INSERT INTO events (seq, ts, sender, conversation, reply_to, kind, body) VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &insert, nil)
        sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, nil)
        sqlite3_prepare_v2(db, "COMMIT", -1, &commit, nil)
        defer { for s in [last, insert, begin, commit] { sqlite3_finalize(s) } }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<total {
            sqlite3_step(begin); sqlite3_reset(begin)
            sqlite3_step(last)
            let seq = sqlite3_column_int64(last, 0) + 1
            sqlite3_reset(last)
            let body = "{\"message\":{\"text\":\"message \(i)\"}}"
            sqlite3_bind_int64(insert, 1, seq)
            sqlite3_bind_int64(insert, 2, Int64(Date().timeIntervalSince1970 * 1000))
            sqlite3_bind_text(insert, 3, "bench", -1, transient)
            sqlite3_bind_text(insert, 4, "evt-\(seq)", -1, transient)
            sqlite3_bind_null(insert, 5)
            sqlite3_bind_text(insert, 6, "message", -1, transient)
            _ = body.withCString { sqlite3_bind_blob(insert, 7, $0, Int32(strlen($0)), transient) }
            sqlite3_step(insert); sqlite3_reset(insert)
            sqlite3_step(commit); sqlite3_reset(commit)
        }
        return Double(total) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}
