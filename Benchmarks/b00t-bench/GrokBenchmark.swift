#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation

/// grok's figures: the Swift embedding model (one sentence at a time and batched, and against the NumPy
/// reference on the same sentences in the same run), learning and asking over 10k/100k chunks, and recall@5
/// of hybrid, words-only and meaning-only ranking on the labelled set in Tests/Fixtures/grok.
enum GrokBenchmark {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let fixtures = root + "/Tests/Fixtures/grok"

    static func run() throws -> [String: Double] {
        var figures: [String: Double] = [:]
        let loadStart = ContinuousClock.now
        let embedder: MiniLMEmbedder
        do {
            embedder = try MiniLMEmbedder()
        } catch {
            FileHandle.standardError.write(Data("grok bench: \(error) — embedding figures skipped\n".utf8))
            return figures
        }
        figures["grok_model_load_ms"] = ms(ContinuousClock.now - loadStart)
        // 1 when OpenBLAS runs its AVX-512 (SkylakeX) kernels, 0 for AVX2 (Haswell, or OPENBLAS_CORETYPE says so).
        figures["grok_blas_avx512_kernels"] = embedder.blasCore == "SkylakeX" ? 1 : 0
        let sentences = try String(contentsOfFile: fixtures + "/bench_sentences.txt", encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        for (key, value) in embeddingFigures(embedder, sentences: sentences) { figures[key] = value }
        for (key, value) in try storeFigures(embedder, sentences: sentences) { figures[key] = value }
        for (key, value) in try recallFigures(embedder) { figures[key] = value }
        return figures
    }

    /// A private scratch folder for one bench store.
    static func scratch(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "b00t-bench-grok-\(label)-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try B00tPaths.ensurePrivateDirectory(path)
        return path
    }

    /// Learning (chunking + embedding + storing) a generated Markdown file; then `ask` over 10k and 100k chunks.
    /// The big stores reuse 1,000 embedded paragraphs with perturbed vectors: search cost depends on the
    /// number of rows, not on where their vectors came from, and embedding 100k paragraphs would take minutes.
    static func storeFigures(_ embedder: MiniLMEmbedder, sentences: [String]) throws -> [String: Double] {
        var figures: [String: Double] = [:]
        var generator = SplitMix(seed: 14)
        func paragraph() -> String {
            (0..<3).map { _ in sentences[Int(generator.next() % UInt64(sentences.count))] }.joined(separator: " ")
        }
        let learnDir = try scratch("learn")
        defer { try? FileManager.default.removeItem(atPath: learnDir) }
        var markdown = ""
        for section in 0..<200 {
            markdown += "# Section \(section)\n"
            for _ in 0..<4 { markdown += paragraph() + "\n\n" }
        }
        try Data(markdown.utf8).write(to: URL(fileURLWithPath: learnDir + "/notes.md"))
        let learner = Grok(backend: try SQLiteGrokStore(path: learnDir + "/grok.sqlite"), embedder: embedder)
        let learnStart = ContinuousClock.now
        let report = try learner.learn([learnDir + "/notes.md"], topic: "bench")
        figures["grok_learn_chunks_per_s"] = Double(report.added) / (ms(ContinuousClock.now - learnStart) / 1000)

        let base = (0..<1_000).map { _ in paragraph() }
        let baseVectors = embedder.embed(base)
        let questions = try RecallSet.load(fixtures + "/recall_set.json").questions.map(\.question)
        for total in [10_000, 100_000] {
            let dir = try scratch("ask\(total)")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let store = try SQLiteGrokStore(path: dir + "/grok.sqlite")
            let fillStart = ContinuousClock.now
            try store.write { writer in
                for i in 0..<total {
                    let b = i % base.count
                    var vector = baseVectors[b].map { $0 + Float(Double(generator.next() % 1_000) / 1e5 - 0.005) }
                    let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    for j in vector.indices { vector[j] /= norm }
                    let chunk = NewChunk(topic: "topic\(i % 50)", source: "bench", chunkIndex: i, content: "\(base[b]) (note \(i))")
                    _ = try writer.add(chunk, vector: vector)
                }
            }
            let label = total == 10_000 ? "10k" : "100k"
            figures["grok_store_fill_chunks_per_s_\(label)"] = Double(total) / (ms(ContinuousClock.now - fillStart) / 1000)
            // A new process's first question loads every vector from SQLite; later ones use the cached matrix.
            let grok = Grok(backend: try SQLiteGrokStore(path: dir + "/grok.sqlite"), embedder: embedder)
            let firstStart = ContinuousClock.now
            _ = try grok.ask(questions[0], limit: 10)
            figures["grok_ask_first_ms_\(label)"] = ms(ContinuousClock.now - firstStart)
            var times: [Double] = []
            for question in questions {
                let start = ContinuousClock.now
                _ = try grok.ask(question, limit: 10)
                times.append(ms(ContinuousClock.now - start))
            }
            figures["grok_ask_ms_p50_\(label)"] = median(times)
            figures["grok_ask_ms_p99_\(label)"] = times.sorted()[min(times.count - 1, times.count * 99 / 100)]
        }
        return figures
    }

    /// recall@5 (and @1) of hybrid, words-only and meaning-only ranking on the labelled set.
    static func recallFigures(_ embedder: MiniLMEmbedder) throws -> [String: Double] {
        let dir = try scratch("recall")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let grok = Grok(backend: try SQLiteGrokStore(path: dir + "/grok.sqlite"), embedder: embedder)
        let set = try RecallSet.load(fixtures + "/recall_set.json")
        try set.learn(into: grok)
        var figures: [String: Double] = [:]
        for (ranking, name) in [(Grok.Ranking.hybrid, "hybrid"), (.words, "bm25"), (.meaning, "embedding")] {
            figures["grok_recall_at_5_\(name)"] = try set.recall(grok, ranking: ranking, k: 5).recall
            figures["grok_recall_at_1_\(name)"] = try set.recall(grok, ranking: ranking, k: 1).recall
        }
        return figures
    }

    static func embeddingFigures(_ embedder: MiniLMEmbedder, sentences: [String]) -> [String: Double] {
        var figures: [String: Double] = [:]
        _ = embedder.embed(Array(sentences.prefix(8)))
        var single: [Double] = []
        for sentence in sentences.prefix(128) {
            let start = ContinuousClock.now
            _ = embedder.embed([sentence])
            single.append(ms(ContinuousClock.now - start))
        }
        figures["grok_embed_ms_per_sentence"] = median(single)
        var rates: [Double] = []
        for _ in 0..<3 {
            let start = ContinuousClock.now
            _ = embedder.embed(sentences)
            rates.append(Double(sentences.count) / (ms(ContinuousClock.now - start) / 1000))
        }
        let batched = median(rates)
        figures["grok_embed_sentences_per_s_batched"] = batched
        if let numpy = numpyRate() {
            figures["grok_embed_numpy_reference_sentences_per_s"] = numpy
            figures["grok_embed_batched_vs_numpy_ratio"] = batched / numpy
        }
        return figures
    }

    /// The NumPy reference's rate on the same sentences (Tests/python/minilm_reference.py --bench), or nil with a
    /// note when `make pyenv` has not been run.
    static func numpyRate() -> Double? {
        let python = root + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            FileHandle.standardError.write(Data("grok bench: no .venv (run `make pyenv`): NumPy ratio skipped\n".utf8))
            return nil
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root + "/Tests/python/minilm_reference.py", "--bench"]
        let out = Pipe()
        process.standardOutput = out
        do { try process.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rate = object["sentences_per_s"] as? Double else {
            FileHandle.standardError.write(Data("grok bench: the NumPy reference failed: NumPy ratio skipped\n".utf8))
            return nil
        }
        return rate
    }

    static func ms(_ duration: Duration) -> Double {
        duration.milliseconds
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}

/// A small deterministic generator, so every bench run builds the same stores.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
