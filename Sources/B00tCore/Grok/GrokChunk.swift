import Foundation

/// One stored piece of knowledge. `id` is a string so every backend fits (SQLite row ids, Qdrant UUIDs).
public struct GrokChunk: Sendable, Hashable, Codable {
    public var id: String
    public var topic: String
    public var source: String
    public var chunkIndex: Int
    public var content: String
    public var contentHash: String
    /// Milliseconds since 1970.
    public var createdAt: Int64

    public init(id: String, topic: String, source: String, chunkIndex: Int, content: String, contentHash: String, createdAt: Int64) {
        self.id = id
        self.topic = topic
        self.source = source
        self.chunkIndex = chunkIndex
        self.content = content
        self.contentHash = contentHash
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, topic, source, chunkIndex = "chunk_index", content, contentHash = "content_hash", createdAt = "created_at"
    }
}

/// A chunk about to be stored.
public struct NewChunk: Sendable, Hashable {
    public var topic: String
    public var source: String
    public var chunkIndex: Int
    public var content: String

    public init(topic: String, source: String, chunkIndex: Int, content: String) {
        self.topic = topic
        self.source = source
        self.chunkIndex = chunkIndex
        self.content = content
    }

    /// SHA-256 of the content: learning the same text twice under a topic stores it once.
    public var contentHash: String {
        var hasher = SHA256()
        hasher.update(Array(content.utf8))
        return hasher.finalizeHex()
    }
}

/// One answer to `ask`: the chunk, its fused score (0…1, 1 = first in every ranking) and the signals behind it.
public struct GrokHit: Sendable, Codable, Hashable {
    public var chunk: GrokChunk
    public var score: Double
    /// Cosine similarity to the question (nil without the model).
    public var cosine: Double?
    /// Rank in the word (BM25) list, 1-based.
    public var keywordRank: Int?
    /// Rank in the meaning (cosine) list, 1-based.
    public var vectorRank: Int?

    public init(chunk: GrokChunk, score: Double, cosine: Double? = nil, keywordRank: Int? = nil, vectorRank: Int? = nil) {
        self.chunk = chunk
        self.score = score
        self.cosine = cosine
        self.keywordRank = keywordRank
        self.vectorRank = vectorRank
    }

    enum CodingKeys: String, CodingKey {
        case chunk, score, cosine, keywordRank = "keyword_rank", vectorRank = "vector_rank"
    }
}

public struct TopicCount: Sendable, Codable, Hashable {
    public var topic: String
    public var chunks: Int
    public init(topic: String, chunks: Int) {
        self.topic = topic
        self.chunks = chunks
    }
}

/// What a learn/digest did.
public struct LearnReport: Sendable, Codable, Hashable {
    /// Chunks stored now.
    public var added = 0
    /// Chunks already known (same content under the same topic): not stored again.
    public var duplicates = 0
    /// Files read.
    public var files = 0
    /// Files passed over in a folder walk, with the reason (binary, unreadable, not a regular file).
    public var skipped: [String] = []
    /// The topics used, and for each how it was chosen ("given" or "inferred from …").
    public var topics: [String: String] = [:]
    public init() {}
}

/// `grok stats`.
public struct GrokStats: Sendable, Codable, Hashable {
    public var backend: String
    /// "hybrid" (words + meaning), "bm25" (words only: no model), or "vector" (Qdrant: meaning only).
    public var mode: String
    public var chunks: Int
    public var topics: Int
    public var chunksWithoutVectors: Int
    public var modelDirectory: String
    public var modelProblem: String?
    public var bytes: Int?

    enum CodingKeys: String, CodingKey {
        case backend, mode, chunks, topics, chunksWithoutVectors = "chunks_without_vectors"
        case modelDirectory = "model_directory", modelProblem = "model_problem", bytes
    }
}
