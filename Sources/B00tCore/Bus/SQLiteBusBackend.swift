#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB

/// The embedded default: the log in a SQLite file (WAL). Several processes may open the same file: appends
/// are serialized by SQLite (`BEGIN IMMEDIATE` + a check that the log still ends where the writer thinks),
/// and readers notice other processes' commits by polling `PRAGMA data_version` (a sleep between polls,
/// never a busy loop).
public final class SQLiteBusBackend: InlineAppendingBackend, SnapshotStoringBackend, @unchecked Sendable {
    public enum Synchronous: String, Sendable {
        /// WAL + NORMAL: a committed event survives any process crash (SIGKILL); a power cut may lose the
        /// last commits. The default.
        case normal = "NORMAL"
        /// fsync on every commit: survives power loss too, slower.
        case full = "FULL"
    }

    public let path: String
    private let pool: DatabasePool
    /// Appends go through a connection of their own (see `SQLiteWriter`); reads through the pool.
    private let writer: SQLiteWriter
    private let probe: SQLiteChangeProbe
    private let signal = ChangeSignal()
    private let pollInterval: Duration

    public var label: String { "sqlite:\(path)" }

    public init(path: String, synchronous: Synchronous = .normal, pollInterval: Duration = .milliseconds(10)) throws {
        self.path = path
        self.pollInterval = pollInterval
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try B00tPaths.ensurePrivateDirectory(directory) }
        // Create the file private to the user before SQLite does (its -wal/-shm files copy these permissions).
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd >= 0 { close(fd) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous.rawValue)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS events (
                        seq INTEGER PRIMARY KEY,
                        ts INTEGER NOT NULL, -- milliseconds since 1970
                        sender TEXT NOT NULL,
                        conversation TEXT NOT NULL,
                        reply_to INTEGER,
                        kind TEXT NOT NULL,
                        body BLOB NOT NULL
                    );
                    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    -- Presence leases of processes writing this file directly (see PresenceLeases); not the log.
                    CREATE TABLE IF NOT EXISTS leases (agent TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms INTEGER NOT NULL);
                    -- Folded states (see StoredSnapshot): opening the bus folds the newest usable one plus the tail.
                    CREATE TABLE IF NOT EXISTS snapshots (seq INTEGER PRIMARY KEY, data BLOB NOT NULL);
                    INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '1');
                    """)
            }
            writer = try SQLiteWriter(path: path, synchronous: synchronous)
            probe = try SQLiteChangeProbe(path: path)
        } catch {
            throw BusError.storage("cannot open \(path): \(Self.describe(error)); if the file is damaged, move it aside (events cannot be recovered from a corrupt file)")
        }
    }

    public func append(_ events: [BusEvent], expectedLastSeq: UInt64) async throws -> Bool {
        var backoff = LockBackoff()
        while true {
            // maxTail 0: if anyone appended after `expectedLastSeq`, the answer is `.behind`, i.e. a conflict.
            switch try appendLocked(after: expectedLastSeq, maxTail: 0, { _ in events }) {
            case .done: return true
            case .behind: return false
            case .busy: try await backoff.wait(for: path)
            }
        }
    }

    public func appendLocked(after: UInt64, maxTail: Int, _ build: ([BusEvent]) throws -> [BusEvent]) throws -> LockedAppendOutcome {
        let (outcome, wrote) = try writer.appendLocked(after: after, maxTail: maxTail, build)
        if wrote { signal.fire() }
        return outcome
    }

    public func read(after seq: UInt64, limit: Int) async throws -> [BusEvent] {
        let rows: [EventRow]
        do {
            rows = try await pool.read { db in
                let cursor = try Row.fetchCursor(
                    db, sql: "SELECT seq, ts, sender, conversation, reply_to, kind, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                    arguments: [Int64(seq), limit])
                var rows: [EventRow] = []
                while let row = try cursor.next() {
                    rows.append(EventRow(seq: row["seq"], ts: row["ts"], sender: row["sender"], conversation: row["conversation"],
                                         replyTo: row["reply_to"], kind: row["kind"], body: row["body"] ?? Data()))
                }
                return rows
            }
        } catch {
            throw BusError.storage("read from \(path) failed: \(Self.describe(error))")
        }
        return try EventRow.decode(rows)
    }

    public func lastSequence() async throws -> UInt64 {
        do {
            return UInt64(try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM events") ?? 0 })
        } catch {
            throw BusError.storage("read from \(path) failed: \(Self.describe(error))")
        }
    }

    public func waitForEvents(after seq: UInt64, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        var version = probe.dataVersion()
        var pause = pollInterval
        if (probe.storedEnd() ?? 0) > seq { return }
        while ContinuousClock.now < deadline && !Task.isCancelled {
            // Local appends wake us at once; other processes' commits show up as a new data_version.
            await signal.wait(timeout: min(pause, deadline - ContinuousClock.now)) { false }
            let now = probe.dataVersion()
            if now != version {
                version = now
                pause = pollInterval
                if (probe.storedEnd() ?? 0) > seq { return }
            } else {
                pause = min(pause * 2, Self.idlePoll)
            }
        }
    }

    /// Polls `data_version` (every `pollInterval` while anyone commits, backing off to `idlePoll` when nothing
    /// does) and never wakes for this process's appends: the bus hands those over itself.
    ///
    /// Why: woken by each local append, the live watcher looked at the store (a GRDB transaction through a
    /// dispatch queue), read its end through the pool (another queue hop, its SQL parsed each time) and slept on
    /// a fresh timer — 35% of the daemon's CPU in the soak, for events it already had.
    public func waitForOthers(known: @Sendable () -> UInt64, timeout: Duration) async -> UInt64? {
        let deadline = ContinuousClock.now + timeout
        if let end = probe.storedEnd(), end > known() { return end }
        var version = probe.dataVersion()
        var pause = pollInterval
        while !Task.isCancelled {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            try? await Task.sleep(for: min(pause, left))
            let now = probe.dataVersion()
            guard now != version else {
                pause = min(pause * 2, Self.idlePoll)
                continue
            }
            version = now
            pause = pollInterval
            if let end = probe.storedEnd(), end > known() { return end }
        }
        return nil
    }

    /// Why the store's path no longer names the file this backend has open (removed, or replaced by another),
    /// or nil. Its connections stay on the old file: a daemon that went on would write a log nobody else reads,
    /// while clients that open the path write another (`b00t bus serve` stops instead).
    public func fileReplaced() -> String? { probe.replaced() }

    /// The longest pause between two looks for other processes' commits, reached after a quiet spell (each look
    /// that finds nothing doubles the pause from `pollInterval`; any commit brings it back).
    ///
    /// Why: polling every 10 ms for ever, each look a GRDB read that parsed its SQL, an async read of the log's
    /// end and a timer task, kept an idle daemon at a tenth of a core (measured 2026-12-03: 0.53 s of CPU in 5 s
    /// with no client at all).
    static let idlePoll: Duration = .milliseconds(100)

    public func storedSnapshots(limit: Int) async throws -> [StoredSnapshot] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT seq, data FROM snapshots ORDER BY seq DESC LIMIT ?", arguments: [max(0, limit)])
                    .compactMap { row in
                        guard let seq = UInt64(exactly: row["seq"] as Int64) else { return nil }
                        return StoredSnapshot(seq: seq, bytes: row["data"] ?? Data())
                    }
            }
        } catch {
            throw BusError.storage("reading snapshots from \(path) failed: \(Self.describe(error))")
        }
    }

    public func storeSnapshot(_ snapshot: StoredSnapshot, keep: Int) async throws {
        guard let seq = Int64(exactly: snapshot.seq) else { return }
        do {
            try await pool.write { db in
                try db.execute(sql: "INSERT OR REPLACE INTO snapshots (seq, data) VALUES (?, ?)", arguments: [seq, snapshot.bytes])
                try db.execute(sql: "DELETE FROM snapshots WHERE seq NOT IN (SELECT seq FROM snapshots ORDER BY seq DESC LIMIT ?)",
                               arguments: [max(1, keep)])
            }
        } catch {
            throw BusError.storage("storing a snapshot in \(path) failed: \(Self.describe(error))")
        }
    }

    static func describe(_ error: Error) -> String {
        if let db = error as? DatabaseError { return db.message ?? "\(db.resultCode)" }
        return "\(error)"
    }
}

/// One `events` row, as written or as read before its body is decoded: envelope columns plus the body as JSON
/// (so `sqlite3` shows readable events).
struct EventRow: Sendable {
    var seq: Int64
    var ts: Int64
    var sender: String
    var conversation: String
    var replyTo: Int64?
    var kind: String
    var body: Data

    init(seq: Int64, ts: Int64, sender: String, conversation: String, replyTo: Int64?, kind: String, body: Data) {
        self.seq = seq
        self.ts = ts
        self.sender = sender
        self.conversation = conversation
        self.replyTo = replyTo
        self.kind = kind
        self.body = body
    }

    init(_ event: BusEvent) throws {
        seq = Int64(event.seq)
        ts = BusTime.milliseconds(event.timestamp)
        sender = event.from
        conversation = event.conversationID
        replyTo = event.replyTo.map { Int64($0) }
        kind = event.body.kind
        body = try EventCoding.encoder.encode(event.body)
    }

    /// Decodes rows into events; large reads (recovery) are split across the cores, since JSON decoding of the
    /// bodies is most of the time it takes to fold a long log.
    static func decode(_ rows: [EventRow]) throws -> [BusEvent] {
        guard rows.count >= 4_096 else { return try rows.map(decode) }
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let size = (rows.count + chunks - 1) / chunks
        let results = DecodedChunks(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (chunk * size)..<min(rows.count, (chunk + 1) * size)
            results.set(chunk, Result { try rows[range].map(decode) })
        }
        return try results.joined()
    }

    static func decode(_ row: EventRow) throws -> BusEvent {
        let seq = UInt64(row.seq)
        guard !row.body.isEmpty else { throw BusError.corruptLog(seq: seq, detail: "empty body") }
        let body: BusEventBody
        do {
            // Messages, most of a crew's log, by hand (MessageEventScanner); every other body by the decoder.
            if let message = row.body.withUnsafeBytes({ MessageEventScanner.messageBody($0.bindMemory(to: UInt8.self)) }) {
                body = message
            } else {
                body = try EventCoding.decoder.decode(BusEventBody.self, from: row.body)
            }
        } catch {
            throw BusError.corruptLog(seq: seq, detail: "body is not a valid event: \("\(error)".prefix(120))")
        }
        return BusEvent(seq: seq, timestamp: BusTime.date(milliseconds: row.ts), from: row.sender,
                        conversationID: row.conversation, replyTo: row.replyTo.map { UInt64($0) }, body: body)
    }
}

/// Per-chunk results of a parallel decode, joined in order; the first error wins.
private final class DecodedChunks: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [Result<[BusEvent], Error>?]
    init(count: Int) { parts = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ result: Result<[BusEvent], Error>) { lock.withLock { parts[index] = result } }
    func joined() throws -> [BusEvent] {
        var all: [BusEvent] = []
        for part in parts { all += try part?.get() ?? [] }
        return all
    }
}

/// Shared JSON coders for event bodies (creating coders per event is measurable in the append path).
enum EventCoding {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = BusTime.encoding
        e.outputFormatting = [.sortedKeys]
        return e
    }()
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = BusTime.decoding
        return d
    }()
}

extension SQLiteBusBackend: PresenceLeases {
    public func acquireLease(_ agent: String, holder: String, ttl: Duration) async throws -> Bool {
        let now = BusTime.milliseconds(Date())
        let until = now + ttl.wholeMilliseconds
        do {
            return try await pool.write { db in
                if let row = try Row.fetchOne(db, sql: "SELECT holder, expires_ms FROM leases WHERE agent = ?", arguments: [agent]),
                   (row["holder"] as String) != holder, (row["expires_ms"] as Int64) > now {
                    return false
                }
                try db.execute(sql: "INSERT OR REPLACE INTO leases (agent, holder, expires_ms) VALUES (?, ?, ?)",
                               arguments: [agent, holder, until])
                return true
            }
        } catch {
            throw BusError.storage("lease in \(path) failed: \(Self.describe(error))")
        }
    }

    public func releaseLease(_ agent: String, holder: String) async throws {
        do {
            try await pool.write { db in
                try db.execute(sql: "DELETE FROM leases WHERE agent = ? AND holder = ?", arguments: [agent, holder])
            }
        } catch {
            throw BusError.storage("lease in \(path) failed: \(Self.describe(error))")
        }
    }

    public func liveLeases(among agents: [String]) async throws -> [String: String] {
        let now = BusTime.milliseconds(Date())
        let wanted = Set(agents)
        do {
            let rows = try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT agent, holder FROM leases WHERE expires_ms > ?", arguments: [now])
                    .map { ($0["agent"] as String, $0["holder"] as String) }
            }
            var live: [String: String] = [:]
            for (agent, holder) in rows where wanted.contains(agent) { live[agent] = holder }
            return live
        } catch {
            throw BusError.storage("lease in \(path) failed: \(Self.describe(error))")
        }
    }
}
