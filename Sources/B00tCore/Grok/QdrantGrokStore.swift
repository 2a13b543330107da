import Foundation
import NIOHTTP1

/// grok's optional shared backend: a Qdrant collection `b00t_chunks` (384-dim, cosine) whose points carry the
/// same payload keys as the SQLite rows. Point ids derive from topic + content, so learning the same text twice
/// stores it once and a retried upload completes instead of duplicating. Qdrant has no word index here and no
/// multi-request transactions: `ask` ranks by meaning alone, and a learn is uploaded in batches.
public final class QdrantGrokStore: GrokBackend, @unchecked Sendable {
    public let baseURL: URL
    public let collection: String
    public var label: String { "qdrant:\(baseURL.absoluteString)" }
    public var supportsKeywordSearch: Bool { false }
    let timeout: TimeInterval
    private let http: HTTPExchange
    private let prefix: String

    /// `qdrant://host:6333` (or `http://…`); checks that Qdrant answers and creates the collection if needed.
    public init(url: String, collection: String = "b00t_chunks", dimension: Int = MiniLMEmbedder.dimension,
                timeout: TimeInterval = 10) throws {
        var text = url
        if text.hasPrefix("qdrant://") { text = "http://" + text.dropFirst("qdrant://".count) }
        guard let parsed = URL(string: text), let scheme = parsed.scheme, ["http", "https"].contains(scheme),
              let host = parsed.host, !host.isEmpty else {
            throw GrokError.badArgument("B00T_GROK_URL '\(url)' is not a Qdrant URL; write qdrant://127.0.0.1:6333")
        }
        // Plain HTTP only (swift-nio without TLS): Qdrant on this machine, a private network or an SSH tunnel.
        guard scheme == "http" else {
            throw GrokError.badArgument("B00T_GROK_URL '\(url)': b00t reaches Qdrant over plain HTTP only; use qdrant://HOST:6333 (or http://), through an SSH tunnel for a remote one")
        }
        guard collection.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }), !collection.isEmpty else {
            throw GrokError.badArgument("Qdrant collection '\(collection)': use letters, digits, '_' and '-'")
        }
        baseURL = parsed
        self.collection = collection
        self.timeout = timeout
        http = HTTPExchange(host: host, port: parsed.port ?? 6333,
                            timeout: .milliseconds(Int64(max(1, min(timeout, 600)) * 1000)))
        prefix = parsed.path.hasSuffix("/") ? String(parsed.path.dropLast()) : parsed.path
        let (status, _) = try request("GET", "/collections/\(collection)")
        if status == 404 {
            try expectOK(request("PUT", "/collections/\(collection)", ["vectors": ["size": dimension, "distance": "Cosine"]]))
            try expectOK(request("PUT", "/collections/\(collection)/index?wait=true", ["field_name": "topic", "field_schema": "keyword"]))
        } else if status != 200 {
            throw GrokError.qdrant(url: label, detail: "GET /collections/\(collection) answered \(status)")
        }
    }

    // MARK: HTTP

    /// One request to Qdrant; the answer's status and its JSON object (empty when it is not one).
    @discardableResult
    func request(_ method: String, _ path: String, _ json: Any? = nil) throws -> (Int, [String: Any]) {
        let body = try json.map { Array(try JSONSerialization.data(withJSONObject: $0)) }
        let answer: HTTPExchange.Answer
        do {
            answer = try http.send(HTTPMethod(rawValue: method), prefix + path, json: body)
        } catch {
            throw GrokError.qdrant(url: label, detail: "\(method) \(path): \(error.description) (is Qdrant running? `b00t up grok.stack`)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any] ?? [:]
        return (answer.status, object)
    }

    private func expectOK(_ answer: (Int, [String: Any])) throws {
        guard answer.0 == 200 else {
            let detail = (answer.1["status"] as? [String: Any])?["error"] as? String ?? "status \(answer.0)"
            throw GrokError.qdrant(url: label, detail: detail)
        }
    }

    // MARK: points

    static func pointID(topic: String, contentHash: String) -> String {
        var hasher = SHA256()
        hasher.update(Array((topic + "\n" + contentHash).utf8))
        let hex = Array(hasher.finalizeHex().prefix(32))
        return "\(String(hex[0..<8]))-\(String(hex[8..<12]))-\(String(hex[12..<16]))-\(String(hex[16..<20]))-\(String(hex[20..<32]))"
    }

    static func chunk(id: Any?, payload: [String: Any]) -> GrokChunk {
        GrokChunk(id: "\(id ?? "")", topic: payload["topic"] as? String ?? "", source: payload["source"] as? String ?? "",
                  chunkIndex: payload["chunk_index"] as? Int ?? 0, content: payload["content"] as? String ?? "",
                  contentHash: payload["content_hash"] as? String ?? "",
                  createdAt: Int64(payload["created_at"] as? Int ?? 0))
    }

    private static func topicFilter(_ topic: String?) -> [String: Any]? {
        topic.map { ["must": [["key": "topic", "match": ["value": $0]]]] }
    }

    private final class Writer: GrokWriter {
        let store: QdrantGrokStore
        var points: [[String: Any]] = []
        init(store: QdrantGrokStore) { self.store = store }

        func add(_ chunk: NewChunk, vector: [Float]?) throws -> Bool {
            guard let vector else {
                throw GrokError.modelUnavailable(.modelMissing(directory: ModelManifest.standardDirectory(), file: "model.safetensors"))
            }
            let hash = chunk.contentHash
            if try contains(topic: chunk.topic, contentHash: hash) { return false }
            points.append([
                "id": QdrantGrokStore.pointID(topic: chunk.topic, contentHash: hash),
                "vector": vector.map(Double.init),
                "payload": ["topic": chunk.topic, "source": chunk.source, "chunk_index": chunk.chunkIndex,
                            "content": chunk.content, "content_hash": hash,
                            "created_at": Int64(Date().timeIntervalSince1970 * 1000)] as [String: Any],
            ])
            if points.count >= 64 { try upload() }
            return true
        }

        func contains(topic: String, contentHash: String) throws -> Bool {
            let id = QdrantGrokStore.pointID(topic: topic, contentHash: contentHash)
            if points.contains(where: { $0["id"] as? String == id }) { return true }
            return try store.request("GET", "/collections/\(store.collection)/points/\(id)").0 == 200
        }

        func savepoint(_ body: () throws -> Void) throws { try body() }

        func upload() throws {
            guard !points.isEmpty else { return }
            try store.expectOK(store.request("PUT", "/collections/\(store.collection)/points?wait=true", ["points": points]))
            points.removeAll()
        }
    }

    public func write(_ body: (any GrokWriter) throws -> Void) throws {
        let writer = Writer(store: self)
        try body(writer)
        try writer.upload()
    }

    public func keywordSearch(_ query: String, topic: String?, limit: Int) throws -> [(chunk: GrokChunk, bm25: Double)] { [] }
    /// Every candidate comes from `vectorSearch`, which already carries its cosine.
    public func cosines(of ids: [String], to vector: [Float]) throws -> [String: Float] { [:] }
    public func exactMatches(_ needles: [String], topic: String?, limit: Int) throws -> [GrokChunk] { [] }

    public func vectorSearch(_ vector: [Float], topic: String?, limit: Int) throws -> [(chunk: GrokChunk, cosine: Float)] {
        var body: [String: Any] = ["vector": vector.map(Double.init), "limit": limit, "with_payload": true]
        if let filter = Self.topicFilter(topic) { body["filter"] = filter }
        let answer = try request("POST", "/collections/\(collection)/points/search", body)
        try expectOK(answer)
        return (answer.1["result"] as? [[String: Any]] ?? []).map { point in
            (Self.chunk(id: point["id"], payload: point["payload"] as? [String: Any] ?? [:]),
             Float(point["score"] as? Double ?? 0))
        }
    }

    public func topics() throws -> [TopicCount] {
        let answer = try request("POST", "/collections/\(collection)/facet", ["key": "topic", "limit": 10_000, "exact": true])
        try expectOK(answer)
        let hits = ((answer.1["result"] as? [String: Any])?["hits"] as? [[String: Any]]) ?? []
        return hits.compactMap { hit in
            (hit["value"] as? String).map { TopicCount(topic: $0, chunks: hit["count"] as? Int ?? 0) }
        }.sorted { $0.topic < $1.topic }
    }

    private func count(_ filter: [String: Any]?) throws -> Int {
        var body: [String: Any] = ["exact": true]
        if let filter { body["filter"] = filter }
        let answer = try request("POST", "/collections/\(collection)/points/count", body)
        try expectOK(answer)
        return (answer.1["result"] as? [String: Any])?["count"] as? Int ?? 0
    }

    public func forget(topic: String) throws -> Int {
        let filter = Self.topicFilter(topic)
        let removed = try count(filter)
        if removed > 0 {
            try expectOK(request("POST", "/collections/\(collection)/points/delete?wait=true", ["filter": filter as Any]))
        }
        return removed
    }

    public func forget(id: String) throws -> Bool {
        // A point id is a UUID or an unsigned integer; anything else names no point (and never reaches the path).
        guard UUID(uuidString: id) != nil || (!id.isEmpty && id.allSatisfy(\.isASCII) && UInt64(id) != nil) else { return false }
        guard try request("GET", "/collections/\(collection)/points/\(id)").0 == 200 else { return false }
        try expectOK(request("POST", "/collections/\(collection)/points/delete?wait=true", ["points": [id]]))
        return true
    }

    /// Deletes the whole collection (tests; a team resetting its knowledge base).
    public func dropCollection() throws {
        try expectOK(request("DELETE", "/collections/\(collection)"))
    }

    public func counts() throws -> (chunks: Int, withoutVectors: Int, bytes: Int?) {
        (try count(nil), 0, nil)
    }
}
