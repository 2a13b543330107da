/// Where grok keeps chunks. The embedded SQLite store is the default; Qdrant is the optional shared one.
/// Ranking (fusing words and meaning) lives in `Grok`, above this seam, so every backend ranks alike.
public protocol GrokBackend: AnyObject, Sendable {
    /// "sqlite:/path" or "qdrant:http://…", for `stats` and messages.
    var label: String { get }
    /// Whether `keywordSearch` is real (SQLite FTS5) or always empty (Qdrant).
    var supportsKeywordSearch: Bool { get }
    /// Runs `body` as one transaction where the backend has them: all of it is stored, or none.
    func write(_ body: (any GrokWriter) throws -> Void) throws
    /// Chunks matching the words of `query`, best first, with their BM25 score (higher is better).
    func keywordSearch(_ query: String, topic: String?, limit: Int) throws -> [(chunk: GrokChunk, bm25: Double)]
    /// Chunks containing any of `needles` verbatim (case-insensitive), in the order of the keyword ranking.
    func exactMatches(_ needles: [String], topic: String?, limit: Int) throws -> [GrokChunk]
    /// The `limit` chunks whose vectors are closest to `vector` (cosine, best first).
    func vectorSearch(_ vector: [Float], topic: String?, limit: Int) throws -> [(chunk: GrokChunk, cosine: Float)]
    /// The cosine of `vector` with each of these chunks' vectors (chunks without a vector are left out).
    func cosines(of ids: [String], to vector: [Float]) throws -> [String: Float]
    func topics() throws -> [TopicCount]
    /// Removes every chunk of `topic`; returns how many.
    func forget(topic: String) throws -> Int
    /// Removes one chunk; false when there is none with that id.
    func forget(id: String) throws -> Bool
    func counts() throws -> (chunks: Int, withoutVectors: Int, bytes: Int?)
}

/// Adds chunks inside one `GrokBackend.write`.
public protocol GrokWriter {
    /// Stores `chunk` (with its vector when the model is there); false when the same content is already
    /// stored under the same topic.
    func add(_ chunk: NewChunk, vector: [Float]?) throws -> Bool
    /// Whether this content is already stored under this topic (checked before spending time on embedding).
    func contains(topic: String, contentHash: String) throws -> Bool
    /// Runs `body` so that if it throws, what it added is undone and the rest of the write stands.
    func savepoint(_ body: () throws -> Void) throws
}
