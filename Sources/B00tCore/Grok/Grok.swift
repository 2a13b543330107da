import Foundation

/// The knowledge base: chunks go in (`digest`, `learn`), questions come out ranked (`ask`). Ranking blends
/// three signals over the union of their candidates: meaning (the cosine of the sentence vectors), words
/// (SQLite FTS5 BM25, scaled by the question's best word match) and, when the question holds identifiers
/// (`b00t_chunks`, `qdrant.docker`, `6333`), whether a chunk contains them verbatim. A question sharing no word
/// with its answer is found through meaning; an exact identifier still wins. Without the model: words alone.
public final class Grok: @unchecked Sendable {
    public let backend: any GrokBackend
    public let embedder: (any TextEmbedder)?
    /// Why there is no embedder (model missing or damaged); nil when the model is loaded.
    public let modelProblem: EmbeddingError?
    public let modelDirectory: String
    /// Texts embedded per batch while learning.
    static let embedBatch = 32
    /// Weight of the BM25 signal (relative to the best word match of the question) next to the cosine.
    public let keywordWeight: Double
    /// Added when a chunk contains an identifier of the question verbatim: more than any cosine can give.
    public let exactBonus: Double

    /// `keywordWeight` 0.1 and `exactBonus` 1 were chosen on the labelled set (Tests/Fixtures/grok/recall_set.json):
    /// from 0.05 to 0.4 recall@5 stays at the meaning-only figure, and recall@1 is best at 0.1.
    public init(backend: any GrokBackend, embedder: (any TextEmbedder)?, modelProblem: EmbeddingError? = nil,
                modelDirectory: String = ModelManifest.standardDirectory(), keywordWeight: Double = 0.1, exactBonus: Double = 1.0) {
        self.backend = backend
        self.keywordWeight = keywordWeight
        self.exactBonus = exactBonus
        self.embedder = embedder
        self.modelProblem = embedder == nil ? modelProblem : nil
        self.modelDirectory = modelDirectory
    }

    /// The store `B00T_GROK_URL` names (`qdrant://host:6333`), else `<state>/grok.sqlite`; the model when it
    /// is installed and intact (otherwise words only, and `modelNotice` says how to get it).
    public static func open(
        paths: B00tPaths = .standard(), environment: [String: String] = ProcessInfo.processInfo.environment,
        loadModel: Bool = true
    ) throws -> Grok {
        let directory = ModelManifest.standardDirectory(environment: environment)
        var embedder: MiniLMEmbedder? = nil
        var problem: EmbeddingError? = nil
        if loadModel {
            do {
                embedder = try MiniLMEmbedder(directory: directory)
            } catch let error as EmbeddingError {
                problem = error
            }
        } else {
            problem = .modelMissing(directory: directory, file: "model.safetensors")
        }
        let backend: any GrokBackend
        if let url = environment["B00T_GROK_URL"], !url.isEmpty {
            backend = try QdrantGrokStore(url: url)
        } else {
            backend = try SQLiteGrokStore(path: paths.stateDirectory + "/grok.sqlite")
        }
        return Grok(backend: backend, embedder: embedder, modelProblem: problem, modelDirectory: directory)
    }

    /// "hybrid", "bm25" (no model) or "vector" (a backend without word search).
    public var mode: String {
        if embedder == nil { return "bm25" }
        return backend.supportsKeywordSearch ? "hybrid" : "vector"
    }

    /// The one line to print (on stderr) when grok runs without its model.
    public var modelNotice: String? {
        guard let modelProblem else { return nil }
        return "grok: ranking by words only (BM25): \(modelProblem.description)"
    }

    // MARK: learning

    /// Stores `text` as chunks under `topic` (one transaction).
    @discardableResult
    public func digest(_ text: String, topic: String, source: String = "digest") throws -> LearnReport {
        let topic = try Self.checkedTopic(topic)
        guard !text.trimmingWhitespace().isEmpty else { throw GrokError.emptyText(source: "the text") }
        var report = LearnReport()
        report.topics[topic] = "given"
        try backend.write { writer in
            var pipeline = Pipeline(grok: self, writer: writer)
            try pipeline.learnText(text, topic: topic, source: source)
            try pipeline.finish()
            report.added = pipeline.added
            report.duplicates = pipeline.duplicates
        }
        if report.added + report.duplicates == 0 {
            throw GrokError.emptyText(source: "the text (no piece of 10 characters or more)")
        }
        return report
    }

    /// Learns each input: a file, a folder (walked), or else the text itself. All of it in one transaction:
    /// an error leaves the store as it was. Without `topic`, each source's topic is inferred and reported.
    public func learn(_ inputs: [String], topic: String?, workingDirectory: String = FileManager.default.currentDirectoryPath) throws -> LearnReport {
        guard !inputs.isEmpty else { throw GrokError.badArgument("give text, a file or a folder to learn") }
        let given = try topic.map(Self.checkedTopic)
        var report = LearnReport()
        try backend.write { writer in
            var pipeline = Pipeline(grok: self, writer: writer)
            for input in inputs {
                let path = input.hasPrefix("/") ? input : workingDirectory + "/" + input
                var isDirectory: ObjCBool = false
                if !input.isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                    let display = input
                    if isDirectory.boolValue {
                        let (topic, reason) = given.map { ($0, "given") } ?? TextSource.inferredTopic(for: path, isDirectory: true)
                        report.topics[topic] = reason
                        let walk = try TextSource.files(under: path)
                        report.skipped += walk.skipped
                        for file in walk.files {
                            let counts = (pipeline.added, pipeline.duplicates)
                            do {
                                let fileTopic = given ?? topic
                                try writer.savepoint { try pipeline.learnFile(file, topic: fileTopic) }
                                report.files += 1
                            } catch let error as GrokError {
                                // The savepoint undid this file's rows; forget its counts and queued chunks too.
                                (pipeline.added, pipeline.duplicates) = counts
                                pipeline.pending.removeAll()
                                switch error {
                                case .binaryFile, .unreadable, .emptyText: report.skipped.append(error.description)
                                default: throw error
                                }
                            }
                        }
                    } else {
                        let (topic, reason) = given.map { ($0, "given") } ?? TextSource.inferredTopic(for: path, isDirectory: false)
                        report.topics[topic] = reason
                        let before = pipeline.added + pipeline.duplicates
                        try pipeline.learnFile(path, topic: topic, display: display)
                        try pipeline.flush()
                        if pipeline.added + pipeline.duplicates == before { throw GrokError.emptyText(source: display) }
                        report.files += 1
                    }
                } else if Self.looksLikePath(input) {
                    throw GrokError.noSuchPath(path: input)
                } else {
                    guard !input.trimmingWhitespace().isEmpty else { throw GrokError.emptyText(source: "the text") }
                    let topic = given ?? "general"
                    report.topics[topic] = given == nil ? "no topic given for text: the default" : "given"
                    let before = pipeline.added + pipeline.duplicates
                    try pipeline.learnText(input, topic: topic, source: "text")
                    try pipeline.flush()
                    if pipeline.added + pipeline.duplicates == before {
                        throw GrokError.emptyText(source: "the text (no piece of 10 characters or more)")
                    }
                }
            }
            try pipeline.finish()
            report.added = pipeline.added
            report.duplicates = pipeline.duplicates
        }
        return report
    }

    /// A single word with a slash or a known extension that names nothing is a mistyped path, not text.
    static func looksLikePath(_ input: String) -> Bool {
        guard !input.contains(where: \.isWhitespace), input.count < 1024 else { return false }
        if input.contains("/") { return true }
        let ext = URL(fileURLWithPath: input).pathExtension.lowercased()
        return !ext.isEmpty && TextSource.extensionTopics[ext] != nil
    }

    static func checkedTopic(_ topic: String) throws -> String {
        let trimmed = topic.trimmingWhitespace()
        guard !trimmed.isEmpty else { throw GrokError.badArgument("the topic is empty; give -t NAME") }
        guard trimmed.count <= 128, !trimmed.contains(where: { $0.isNewline }) else {
            throw GrokError.badArgument("topic '\(trimmed.prefix(40))…' is too long or spans lines (128 characters at most)")
        }
        return trimmed
    }

    /// Chunks → (embedding, in batches) → the writer, skipping content already stored.
    struct Pipeline {
        let grok: Grok
        let writer: any GrokWriter
        var pending: [NewChunk] = []
        var added = 0
        var duplicates = 0

        init(grok: Grok, writer: any GrokWriter) {
            self.grok = grok
            self.writer = writer
        }

        mutating func learnText(_ text: String, topic: String, source: String) throws {
            var index = 0
            var collected: [String] = []
            var chunker = TextChunker { collected.append($0) }
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) { try chunker.feed(line: String(line)) }
            try chunker.finish()
            for content in collected {
                try enqueue(NewChunk(topic: topic, source: source, chunkIndex: index, content: content))
                index += 1
            }
        }

        mutating func learnFile(_ path: String, topic: String, display: String? = nil) throws {
            let source = URL(fileURLWithPath: path).standardizedFileURL.path
            var index = 0
            var ready: [String] = []
            var chunker = TextChunker { ready.append($0) }
            try TextSource.forEachLine(path: path) { line in
                try chunker.feed(line: line)
                // Hand finished chunks on as they come: memory stays bounded for any file size.
                for content in ready {
                    try enqueue(NewChunk(topic: topic, source: source, chunkIndex: index, content: content))
                    index += 1
                }
                ready.removeAll(keepingCapacity: true)
            }
            try chunker.finish()
            for content in ready {
                try enqueue(NewChunk(topic: topic, source: source, chunkIndex: index, content: content))
                index += 1
            }
            try flush()
        }

        mutating func enqueue(_ chunk: NewChunk) throws {
            if try writer.contains(topic: chunk.topic, contentHash: chunk.contentHash)
                || pending.contains(where: { $0.topic == chunk.topic && $0.content == chunk.content }) {
                duplicates += 1
                return
            }
            pending.append(chunk)
            if pending.count >= Grok.embedBatch { try flush() }
        }

        mutating func flush() throws {
            guard !pending.isEmpty else { return }
            let vectors = grok.embedder?.embed(pending.map(\.content))
            for (offset, chunk) in pending.enumerated() {
                if try writer.add(chunk, vector: vectors?[offset]) { added += 1 } else { duplicates += 1 }
            }
            pending.removeAll(keepingCapacity: true)
        }

        mutating func finish() throws { try flush() }
    }

    // MARK: asking

    /// Which signals `ask` fuses: both (the default), words only (BM25 + exact identifiers, as without the
    /// model), or meaning only (cosine). The single-signal modes exist to measure what fusion adds.
    public enum Ranking: String, Sendable, CaseIterable {
        case hybrid, words, meaning
    }

    public func ask(_ question: String, topic: String? = nil, limit: Int = 10, ranking: Ranking = .hybrid) throws -> [GrokHit] {
        guard !question.trimmingWhitespace().isEmpty else { throw GrokError.badArgument("the question is empty") }
        guard limit > 0, limit <= 1_000 else { throw GrokError.badArgument("--limit must be 1…1000 (got \(limit))") }
        let depth = max(limit * 4, 50)
        var candidates: [String: GrokChunk] = [:]
        var keywordRanks: [String: Int] = [:]
        var keywordScores: [String: Double] = [:]
        var exact: [String: Double] = [:]
        var vectorRanks: [String: Int] = [:]
        var cosines: [String: Double] = [:]
        let words = backend.supportsKeywordSearch && ranking != .meaning
        let meaning = ranking != .words && embedder != nil
        if words {
            let keyword = try backend.keywordSearch(question, topic: topic, limit: depth)
            let top = keyword.first?.bm25 ?? 0
            for (rank, hit) in keyword.enumerated() {
                keywordRanks[hit.chunk.id] = rank + 1
                keywordScores[hit.chunk.id] = top > 0 ? max(0, hit.bm25 / top) : 0
                candidates[hit.chunk.id] = hit.chunk
            }
            // An identifier found in n chunks gives each of them 1/n of the bonus: a rare one decides, a
            // common one (the product's own name) barely counts.
            for needle in Self.identifiers(in: question).prefix(8) {
                let matches = try backend.exactMatches([needle], topic: topic, limit: depth)
                for chunk in matches {
                    exact[chunk.id, default: 0] += 1 / Double(matches.count)
                    candidates[chunk.id] = chunk
                }
            }
        }
        if meaning, let embedder, let query = embedder.embed([question]).first {
            let nearest = try backend.vectorSearch(query, topic: topic, limit: depth)
            for (rank, hit) in nearest.enumerated() {
                vectorRanks[hit.chunk.id] = rank + 1
                cosines[hit.chunk.id] = Double(hit.cosine)
                candidates[hit.chunk.id] = hit.chunk
            }
            // Word matches outside the nearest list still get their real cosine.
            let missing = candidates.keys.filter { cosines[$0] == nil }
            for (id, cosine) in try backend.cosines(of: missing, to: query) { cosines[id] = Double(cosine) }
        }
        // The blend: cosine + keywordWeight × BM25 (relative to the best word match) + exactBonus when the chunk
        // holds an identifier of the question verbatim. Scaled so a perfect hit on every signal used scores 1.
        let ceiling = (meaning ? 1 : 0) + (words ? keywordWeight : 0) + (words && !exact.isEmpty ? exactBonus : 0)
        var scored: [(id: String, score: Double)] = candidates.keys.map { id in
            var score = 0.0
            if meaning { score += cosines[id] ?? 0 }
            if words {
                score += keywordWeight * (keywordScores[id] ?? 0)
                score += exactBonus * min(exact[id] ?? 0, 1)
            }
            return (id, score / max(ceiling, 1e-9))
        }
        scored.sort { a, b in
            if a.score != b.score { return a.score > b.score }
            return (keywordRanks[a.id] ?? Int.max, vectorRanks[a.id] ?? Int.max, a.id)
                < (keywordRanks[b.id] ?? Int.max, vectorRanks[b.id] ?? Int.max, b.id)
        }
        return scored.prefix(limit).compactMap { entry in
            candidates[entry.id].map {
                GrokHit(chunk: $0, score: entry.score, cosine: cosines[entry.id], keywordRank: keywordRanks[entry.id],
                        vectorRank: vectorRanks[entry.id])
            }
        }
    }

    /// Tokens of a question that look like identifiers: with `_`, digits mixed with letters, inner capitals,
    /// or `.`/`-`/`:`/`/` between word characters; numbers of three digits or more (ports, codes).
    static func identifiers(in question: String) -> [String] {
        let edge = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_")).inverted
        var result: [String] = []
        for raw in question.split(whereSeparator: \.isWhitespace) {
            let token = raw.trimmingCharacters(in: edge)
            guard token.count >= 3 else { continue }
            let letters = token.contains(where: \.isLetter)
            let digits = token.contains(where: \.isNumber)
            let inner = token.dropFirst().contains(where: \.isUppercase) && token.contains(where: \.isLowercase)
            let joined = token.contains(where: { "_.-:/".contains($0) })
            if token.contains("_") || (letters && digits) || inner || (joined && letters) || (!letters && digits && token.allSatisfy(\.isNumber)) {
                if !result.contains(token) { result.append(token) }
            }
        }
        return result
    }

    // MARK: housekeeping

    public func topics() throws -> [TopicCount] { try backend.topics() }

    public func forget(topic: String) throws -> Int {
        let removed = try backend.forget(topic: topic)
        if removed == 0 { throw GrokError.unknownTopic(topic: topic, known: try backend.topics().map(\.topic)) }
        return removed
    }

    public func forget(id: String) throws {
        guard try backend.forget(id: id) else { throw GrokError.unknownID(id: id) }
    }

    public func stats() throws -> GrokStats {
        let counts = try backend.counts()
        return GrokStats(backend: backend.label, mode: mode, chunks: counts.chunks, topics: try backend.topics().count,
                         chunksWithoutVectors: counts.withoutVectors, modelDirectory: modelDirectory,
                         modelProblem: modelProblem?.description, bytes: counts.bytes)
    }

    /// Gives vectors to chunks learned while the model was missing (SQLite store, model loaded); returns how
    /// many. `learn` and `digest` call it, so meaning search covers everything once the model is installed.
    @discardableResult
    public func backfillVectors() throws -> Int {
        guard let embedder, let store = backend as? SQLiteGrokStore else { return 0 }
        guard try store.counts().withoutVectors > 0 else { return 0 }
        return try store.backfill(using: embedder)
    }

    /// Vectors for the given texts (`grok embed`); an error when the model is not there.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        guard let embedder else {
            throw GrokError.modelUnavailable(modelProblem ?? .modelMissing(directory: modelDirectory, file: "model.safetensors"))
        }
        return embedder.embed(texts)
    }
}
