#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB

/// grok's embedded store: `grok.sqlite` (WAL, 0600) with a `chunks` table, an FTS5 index over content and
/// topic kept in step by triggers, and the vectors as 384×F32 BLOBs. Exact cosine search runs over an
/// in-memory copy of the vectors, reloaded only when the store's generation (bumped by every write, from any
/// process) has moved.
public final class SQLiteGrokStore: GrokBackend, @unchecked Sendable {
    public let path: String
    public let dimension: Int
    public var label: String { "sqlite:\(path)" }
    public var supportsKeywordSearch: Bool { true }
    private let pool: DatabasePool
    private let lock = NSLock()
    private var cache: (generation: Int64, index: VectorIndex)?

    public init(path: String, dimension: Int = MiniLMEmbedder.dimension) throws {
        self.path = path
        self.dimension = dimension
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty { try B00tPaths.ensurePrivateDirectory(directory) }
        } catch {
            throw GrokError.storage(path: path, detail: "cannot create \(directory): \(error.localizedDescription)")
        }
        // Created private before SQLite opens it (its -wal/-shm files copy these permissions); never someone else's.
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw GrokError.storage(path: path, detail: String(cString: strerror(errno))) }
        var info = stat()
        let statOK = fstat(fd, &info) == 0
        close(fd)
        guard statOK, info.st_uid == getuid() else {
            throw GrokError.storage(path: path, detail: "owned by uid \(info.st_uid), not by you (uid \(getuid())); refusing to use it")
        }
        if info.st_mode & 0o077 != 0 { chmod(path, 0o600) }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try pool.write { db in try Self.createSchema(db, dimension: dimension) }
        } catch {
            throw Self.wrap(error, path: path)
        }
    }

    static func createSchema(_ db: Database, dimension: Int) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS chunks (
                id INTEGER PRIMARY KEY,
                topic TEXT NOT NULL,
                source TEXT NOT NULL,
                chunk_index INTEGER NOT NULL,
                content TEXT NOT NULL,
                content_hash TEXT NOT NULL,
                created_at INTEGER NOT NULL, -- milliseconds since 1970
                vector BLOB -- \(dimension) little-endian F32, unit length; NULL when learned without the model
            );
            CREATE INDEX IF NOT EXISTS chunks_topic ON chunks(topic);
            CREATE UNIQUE INDEX IF NOT EXISTS chunks_topic_hash ON chunks(topic, content_hash);
            CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
                content, topic, content = 'chunks', content_rowid = 'id', tokenize = 'porter unicode61 remove_diacritics 2');
            CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
                INSERT INTO chunks_fts(rowid, content, topic) VALUES (new.id, new.content, new.topic);
            END;
            CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
                INSERT INTO chunks_fts(chunks_fts, rowid, content, topic) VALUES ('delete', old.id, old.content, old.topic);
            END;
            CREATE TRIGGER IF NOT EXISTS chunks_au AFTER UPDATE OF content, topic ON chunks BEGIN
                INSERT INTO chunks_fts(chunks_fts, rowid, content, topic) VALUES ('delete', old.id, old.content, old.topic);
                INSERT INTO chunks_fts(rowid, content, topic) VALUES (new.id, new.content, new.topic);
            END;
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', 1), ('generation', 0);
            """)
    }

    /// SQLite's "not a database" / "malformed" become `corruptStore` naming the file; the rest `storage`.
    static func wrap(_ error: Error, path: String) -> GrokError {
        if let grok = error as? GrokError { return grok }
        if let db = error as? DatabaseError {
            switch db.resultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB:
                return .corruptStore(path: path, detail: db.message ?? "\(db.resultCode)")
            default:
                return .storage(path: path, detail: db.message ?? "\(db.resultCode)")
            }
        }
        return .storage(path: path, detail: "\(error)")
    }

    private func guarded<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw Self.wrap(error, path: path) }
    }

    // MARK: writing

    private final class Writer: GrokWriter {
        let db: Database
        let dimension: Int
        var added: [(id: Int64, topic: String, vector: [Float])] = []
        /// Set by deletes and updates: the cached vectors can no longer be extended, only reloaded.
        var invalidatesCache = false
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        init(db: Database, dimension: Int) {
            self.db = db
            self.dimension = dimension
        }

        func add(_ chunk: NewChunk, vector: [Float]?) throws -> Bool {
            let blob = vector.map { v -> Data in v.withUnsafeBufferPointer { Data(buffer: $0) } }
            if let vector, vector.count != dimension {
                throw GrokError.badArgument("vector of \(vector.count) values, expected \(dimension)")
            }
            let statement = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO chunks (topic, source, chunk_index, content, content_hash, created_at, vector)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            try statement.execute(arguments: [chunk.topic, chunk.source, chunk.chunkIndex, chunk.content, chunk.contentHash, now, blob])
            guard db.changesCount > 0 else { return false }
            if let vector { added.append((db.lastInsertedRowID, chunk.topic, vector)) }
            return true
        }

        func contains(topic: String, contentHash: String) throws -> Bool {
            try Bool.fetchOne(db, sql: "SELECT 1 FROM chunks WHERE topic = ? AND content_hash = ?",
                              arguments: [topic, contentHash]) ?? false
        }

        func savepoint(_ body: () throws -> Void) throws {
            let mark = added.count
            do {
                try db.inSavepoint {
                    try body()
                    return .commit
                }
            } catch {
                added.removeSubrange(mark...)
                throw error
            }
        }
    }

    public func write(_ body: (any GrokWriter) throws -> Void) throws {
        let (before, after, added) = try guarded {
            try pool.write { db -> (Int64, Int64, [(id: Int64, topic: String, vector: [Float])]) in
                let before = try Self.generation(db)
                let writer = Writer(db: db, dimension: dimension)
                try body(writer)
                try db.execute(sql: "UPDATE meta SET value = value + 1 WHERE key = 'generation'")
                return (before, writer.invalidatesCache ? -1 : before + 1, writer.added)
            }
        }
        // Our own write on top of the state we had cached: extend the cache instead of reloading it.
        lock.lock()
        defer { lock.unlock() }
        if after >= 0, var current = cache, current.generation == before {
            for row in added { current.index.append(id: row.id, topic: row.topic, vector: row.vector) }
            current.generation = after
            cache = current
        } else {
            cache = nil
        }
    }

    private static func generation(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'generation'") ?? 0
    }

    // MARK: reading

    private static let chunkColumns = "c.id, c.topic, c.source, c.chunk_index, c.content, c.content_hash, c.created_at"

    private static func chunk(_ row: Row) -> GrokChunk {
        GrokChunk(id: String(row[0] as Int64), topic: row[1], source: row[2], chunkIndex: row[3], content: row[4],
                  contentHash: row[5], createdAt: row[6])
    }

    /// An FTS5 query matching any of the words of `text` (each quoted, so no word is read as an operator).
    /// Common English function words are left out when anything else remains: in an OR query they only
    /// pull in chunks that share "how" or "the" with the question.
    static func ftsQuery(_ text: String) -> String? {
        let all = text.split { !($0.isLetter || $0.isNumber) }.prefix(64).map { $0.lowercased() }
        let content = all.filter { !stopWords.contains($0) }
        let words = (content.isEmpty ? all : content).map { "\"\($0)\"" }
        return words.isEmpty ? nil : words.joined(separator: " OR ")
    }

    static let stopWords: Set<String> = [
        "a", "about", "after", "all", "an", "and", "any", "are", "as", "at", "be", "before", "being", "but", "by", "can",
        "could", "did", "do", "does", "doing", "for", "from", "get", "had", "has", "have", "how", "i", "if", "in", "into",
        "is", "it", "its", "may", "me", "might", "must", "my", "no", "not", "of", "on", "or", "our", "should", "so", "some",
        "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "to", "up", "us", "was",
        "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your",
    ]

    public func keywordSearch(_ query: String, topic: String?, limit: Int) throws -> [(chunk: GrokChunk, bm25: Double)] {
        guard let match = Self.ftsQuery(query), limit > 0 else { return [] }
        return try guarded {
            try pool.read { db in
                let topicClause = topic == nil ? "" : "AND c.topic = ?"
                var arguments: StatementArguments = [match]
                if let topic { arguments += [topic] }
                arguments += [limit]
                // FTS5's bm25() is lower-is-better (negative); flip it so higher is better like a cosine.
                return try Row.fetchAll(db, sql: """
                    SELECT \(Self.chunkColumns), -bm25(chunks_fts, 1.0, 0.5) AS score
                    FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
                    WHERE chunks_fts MATCH ? \(topicClause)
                    ORDER BY score DESC LIMIT ?
                    """, arguments: arguments).map { (Self.chunk($0), $0[7] as Double) }
            }
        }
    }

    public func exactMatches(_ needles: [String], topic: String?, limit: Int) throws -> [GrokChunk] {
        var found: [GrokChunk] = []
        var seen: Set<String> = []
        for needle in needles.prefix(8) {
            // Words of the identifier as an FTS phrase narrow the rows; instr() then insists on the exact text.
            let words = needle.split { !($0.isLetter || $0.isNumber) }.map(String.init)
            guard !words.isEmpty else { continue }
            let phrase = "\"" + words.joined(separator: " ") + "\""
            let rows = try guarded {
                try pool.read { db in
                    let topicClause = topic == nil ? "" : "AND c.topic = ?"
                    var arguments: StatementArguments = [phrase, needle.lowercased()]
                    if let topic { arguments += [topic] }
                    arguments += [limit]
                    return try Row.fetchAll(db, sql: """
                        SELECT \(Self.chunkColumns) FROM chunks_fts JOIN chunks c ON c.id = chunks_fts.rowid
                        WHERE chunks_fts MATCH ? AND instr(lower(c.content), ?) > 0 \(topicClause)
                        ORDER BY bm25(chunks_fts, 1.0, 0.5) LIMIT ?
                        """, arguments: arguments).map(Self.chunk)
                }
            }
            for chunk in rows where seen.insert(chunk.id).inserted { found.append(chunk) }
        }
        return Array(found.prefix(limit))
    }

    public func vectorSearch(_ vector: [Float], topic: String?, limit: Int) throws -> [(chunk: GrokChunk, cosine: Float)] {
        let index = try currentIndex()
        let best = index.search(vector, topic: topic, limit: limit)
        guard !best.isEmpty else { return [] }
        let chunks = try guarded {
            try pool.read { db in
                let marks = Array(repeating: "?", count: best.count).joined(separator: ",")
                return try Row.fetchAll(db, sql: "SELECT \(Self.chunkColumns) FROM chunks c WHERE c.id IN (\(marks))",
                                        arguments: StatementArguments(best.map(\.id))).map(Self.chunk)
            }
        }
        let byID = Dictionary(chunks.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return best.compactMap { hit in byID[String(hit.id)].map { ($0, hit.cosine) } }
    }

    public func cosines(of ids: [String], to vector: [Float]) throws -> [String: Float] {
        let index = try currentIndex()
        var result: [String: Float] = [:]
        for id in ids {
            if let row = Int64(id), let cosine = index.cosine(ofID: row, with: vector) { result[id] = cosine }
        }
        return result
    }

    /// The vectors as of the store's current generation (loaded once, then only when another writer moved it).
    func currentIndex() throws -> VectorIndex {
        let generation = try guarded { try pool.read { db in try Self.generation(db) } }
        lock.lock()
        if let cache, cache.generation == generation {
            lock.unlock()
            return cache.index
        }
        lock.unlock()
        let (loadedGeneration, index) = try guarded {
            try pool.read { db -> (Int64, VectorIndex) in
                let generation = try Self.generation(db)
                var index = VectorIndex(dimension: dimension)
                let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM chunks WHERE vector IS NOT NULL") ?? 0
                index.reserve(count)
                let rows = try Row.fetchCursor(db, sql: "SELECT id, topic, vector FROM chunks WHERE vector IS NOT NULL ORDER BY id")
                while let row = try rows.next() {
                    let id: Int64 = row[0]
                    let topic: String = row[1]
                    try row.withUnsafeData(atIndex: 2) { data in
                        data?.withUnsafeBytes { index.append(id: id, topic: topic, bytes: $0) }
                    }
                }
                return (generation, index)
            }
        }
        lock.lock()
        cache = (loadedGeneration, index)
        lock.unlock()
        return index
    }

    public func topics() throws -> [TopicCount] {
        try guarded {
            try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT topic, count(*) FROM chunks GROUP BY topic ORDER BY topic")
                    .map { TopicCount(topic: $0[0], chunks: $0[1]) }
            }
        }
    }

    public func forget(topic: String) throws -> Int {
        var removed = 0
        try write { writer in
            guard let writer = writer as? Writer else { return }
            writer.invalidatesCache = true
            try writer.db.execute(sql: "DELETE FROM chunks WHERE topic = ?", arguments: [topic])
            removed = writer.db.changesCount
        }
        return removed
    }

    public func forget(id: String) throws -> Bool {
        guard let rowID = Int64(id) else { return false }
        var removed = false
        try write { writer in
            guard let writer = writer as? Writer else { return }
            writer.invalidatesCache = true
            try writer.db.execute(sql: "DELETE FROM chunks WHERE id = ?", arguments: [rowID])
            removed = writer.db.changesCount > 0
        }
        return removed
    }

    public func counts() throws -> (chunks: Int, withoutVectors: Int, bytes: Int?) {
        let (chunks, without) = try guarded {
            try pool.read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM chunks") ?? 0,
                 try Int.fetchOne(db, sql: "SELECT count(*) FROM chunks WHERE vector IS NULL") ?? 0)
            }
        }
        var bytes = 0
        for suffix in ["", "-wal"] {
            var info = stat()
            if stat(path + suffix, &info) == 0 { bytes += Int(info.st_size) }
        }
        return (chunks, without, bytes)
    }

    /// Vectors for chunks learned while the model was missing; returns how many were filled in.
    public func backfill(using embedder: any TextEmbedder, batch: Int = 64) throws -> Int {
        var filled = 0
        while true {
            let rows = try guarded {
                try pool.read { db in
                    try Row.fetchAll(db, sql: "SELECT id, content FROM chunks WHERE vector IS NULL ORDER BY id LIMIT ?", arguments: [batch])
                        .map { (id: $0[0] as Int64, content: $0[1] as String) }
                }
            }
            if rows.isEmpty { return filled }
            let vectors = embedder.embed(rows.map(\.content))
            try write { writer in
                guard let writer = writer as? Writer else { return }
                writer.invalidatesCache = true
                for (row, vector) in zip(rows, vectors) {
                    let blob = vector.withUnsafeBufferPointer { Data(buffer: $0) }
                    try writer.db.execute(sql: "UPDATE chunks SET vector = ? WHERE id = ?", arguments: [blob, row.id])
                }
            }
            filled += rows.count
        }
    }
}
