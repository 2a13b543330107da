import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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

    /// `qdrant://host:6333` (or `http://…`); checks that Qdrant answers and creates the collection if needed.
    public init(url: String, collection: String = "b00t_chunks", dimension: Int = MiniLMEmbedder.dimension,
                timeout: TimeInterval = 10) throws {
        var text = url
        if text.hasPrefix("qdrant://") { text = "http://" + text.dropFirst("qdrant://".count) }
        guard let parsed = URL(string: text), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
            throw GrokError.badArgument("B00T_GROK_URL '\(url)' is not a Qdrant URL; write qdrant://127.0.0.1:6333")
        }
        baseURL = parsed
        self.collection = collection
        self.timeout = timeout
        let (status, _) = try request("GET", "/collections/\(collection)")
        if status == 404 {
            try expectOK(request("PUT", "/collections/\(collection)", ["vectors": ["size": dimension, "distance": "Cosine"]]))
            try expectOK(request("PUT", "/collections/\(collection)/index?wait=true", ["field_name": "topic", "field_schema": "keyword"]))
        } else if status != 200 {
            throw GrokError.qdrant(url: label, detail: "GET /collections/\(collection) answered \(status)")
        }
    }

    // MARK: HTTP

    private final class Box: @unchecked Sendable {
        var status = 0
        var body = Data()
        var error: Error?
    }

    @discardableResult
    func request(_ method: String, _ path: String, _ json: Any? = nil) throws -> (Int, [String: Any]) {
        guard let url = URL(string: baseURL.absoluteString + path) else {
            throw GrokError.qdrant(url: label, detail: "bad path \(path)")
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            box.body = data ?? Data()
            box.error = error
            done.signal()
        }.resume()
        if done.wait(timeout: .now() + timeout + 1) == .timedOut {
            throw GrokError.qdrant(url: label, detail: "no answer within \(Int(timeout)) s")
        }
        if let error = box.error {
            throw GrokError.qdrant(url: label, detail: "\(error.localizedDescription) (is Qdrant running? `b00t up grok.stack`)")
        }
        let object = (try? JSONSerialization.jsonObject(with: box.body)) as? [String: Any] ?? [:]
        return (box.status, object)
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
