import ArgumentParser
import B00tCore
import Foundation

/// Opens grok for a CLI command: with `B00T_GROK_URL=qdrant://…` it first ensures `grok.stack` through the
/// orchestrator (so Qdrant starts by itself where a container engine runs); without the model it says once, on
/// stderr, how to get it.
func openGrok(_ options: DatumOptions, loadModel: Bool = true, quietAboutModel: Bool = false) async throws -> Grok {
    let environment = ProcessInfo.processInfo.environment
    if let url = environment["B00T_GROK_URL"], !url.isEmpty {
        let orchestrator = makeOrchestrator(options)
        if (try? orchestrator.catalog.lookup("grok.stack")) != nil {
            try await orchestrator.ensure(["grok.stack"])
        }
    }
    let grok: Grok
    do { grok = try Grok.open(loadModel: loadModel) } catch let error as GrokError { throw CLIError(error.description) }
    if !quietAboutModel, let notice = grok.modelNotice {
        FileHandle.standardError.write(Data((notice + "\n").utf8))
    }
    return grok
}

/// Runs `body`, turning grok's typed errors into `Error: …` and exit 1.
func grokking<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let error as GrokError {
        throw CLIError(error.description)
    } catch let error as EmbeddingError {
        throw CLIError(error.description)
    }
}

/// Chunks learned before the model was installed get their vectors on the next learn or digest.
func reportBackfill(_ grok: Grok) throws {
    let filled = try grokking { try grok.backfillVectors() }
    if filled > 0 { FileHandle.standardError.write(Data("grok: embedded \(filled) chunk(s) learned without the model\n".utf8)) }
}

struct GrokGroup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grok",
        abstract: "The crew's knowledge base: learn text, files and folders; ask by words and by meaning.",
        subcommands: [Digest.self, Learn.self, Ask.self, Topics.self, Forget.self, Stats.self, Embed.self]
    )

    struct Digest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "digest", abstract: "Store one piece of text under a topic.")
        @OptionGroup var options: DatumOptions
        @Option(name: .shortAndLong, help: "Topic to file it under.") var topic: String
        @Argument(help: "The text.") var text: String

        func run() async throws {
            let grok = try await openGrok(options)
            let report = try grokking { try grok.digest(text, topic: topic) }
            try reportBackfill(grok)
            print(report.added > 0 ? "stored under '\(GrokText.safe(topic, oneLine: true))' (\(report.added) chunk(s))"
                                   : "already known under '\(GrokText.safe(topic, oneLine: true))'")
        }
    }

    struct Learn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "learn",
            abstract: "Chunk and store text, files and folders (~1,000-character chunks; the same content once).")
        @OptionGroup var options: DatumOptions
        @Option(name: .shortAndLong, help: "Topic (default: inferred from each source's extension or folder).") var topic: String?
        @Flag(help: "Print JSON.") var json = false
        @Argument(help: "Text, files or folders.") var inputs: [String]

        func validate() throws {
            if inputs.isEmpty { throw ValidationError("give text, a file or a folder: `b00t grok learn notes.md -t ops`") }
        }

        func run() async throws {
            let grok = try await openGrok(options)
            let report = try grokking { try grok.learn(inputs, topic: topic) }
            try reportBackfill(grok)
            if json { print(try jsonText(report)); return }
            for (name, reason) in report.topics.sorted(by: { $0.key < $1.key }) {
                let why = reason == "given" ? "" : " (inferred from \(reason))"
                print("topic: \(GrokText.safe(name, oneLine: true))\(why)")
            }
            for skipped in report.skipped { print("skipped: \(GrokText.safe(skipped, oneLine: true))") }
            print("learned \(report.added) new chunk(s), \(report.duplicates) already known"
                  + (report.files > 0 ? ", from \(report.files) file(s)" : ""))
        }
    }

    struct Ask: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ask",
            abstract: "Ranked answers: words (BM25) and meaning (embeddings), fused.")
        @OptionGroup var options: DatumOptions
        @Option(name: .shortAndLong, help: "Only this topic.") var topic: String?
        @Option(help: "How many hits (default 10).") var limit = 10
        @Flag(help: "Print JSON.") var json = false
        @Argument(help: "The question.") var question: [String]

        func validate() throws {
            if question.joined().trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("ask a question: `b00t grok ask \"how do I …\"`") }
            if limit < 1 || limit > 1000 { throw ValidationError("--limit must be 1…1000") }
        }

        func run() async throws {
            let grok = try await openGrok(options)
            let hits = try grokking { try grok.ask(question.joined(separator: " "), topic: topic, limit: limit) }
            if json { print(try jsonText(hits)); return }
            if hits.isEmpty { print("no match (grok holds \(try grokking { try grok.stats().chunks }) chunk(s))"); return }
            for line in GrokText.hitLines(hits) { print(line) }
        }
    }

    struct Topics: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "topics", abstract: "Topics and their chunk counts.")
        @OptionGroup var options: DatumOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let grok = try await openGrok(options, loadModel: false, quietAboutModel: true)
            let topics = try grokking { try grok.topics() }
            if json { print(try jsonText(topics)); return }
            if topics.isEmpty { print("grok is empty: `b00t grok learn FILE` or `b00t grok digest -t TOPIC \"text\"`") }
            for topic in topics { print("\(GrokText.safe(topic.topic, oneLine: true))\t\(topic.chunks)") }
        }
    }

    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "forget", abstract: "Remove a topic (-t) or one chunk (--id).")
        @OptionGroup var options: DatumOptions
        @Option(name: .shortAndLong, help: "Remove every chunk of this topic.") var topic: String?
        @Option(help: "Remove the chunk with this id.") var id: String?

        func validate() throws {
            if (topic == nil) == (id == nil) { throw ValidationError("give exactly one of -t TOPIC or --id ID") }
        }

        func run() async throws {
            let grok = try await openGrok(options, loadModel: false, quietAboutModel: true)
            if let topic {
                let removed = try grokking { try grok.forget(topic: topic) }
                print("forgot \(removed) chunk(s) of '\(GrokText.safe(topic, oneLine: true))'")
            } else if let id {
                try grokking { try grok.forget(id: id) }
                print("forgot chunk \(GrokText.safe(id, oneLine: true))")
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Backend, mode (hybrid or words only), sizes.")
        @OptionGroup var options: DatumOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let grok = try await openGrok(options, quietAboutModel: true)
            let stats = try grokking { try grok.stats() }
            if json { print(try jsonText(stats)); return }
            let modeText = stats.mode == "hybrid" ? "hybrid (BM25 words + MiniLM meaning, fused)"
                : stats.mode == "bm25" ? "bm25 (words only: the model is missing; run `make model`)" : "vector (meaning only)"
            print("backend: \(stats.backend)")
            print("mode: \(modeText)")
            print("chunks: \(stats.chunks) in \(stats.topics) topic(s)")
            if stats.chunksWithoutVectors > 0 { print("chunks without vectors: \(stats.chunksWithoutVectors) (learned without the model)") }
            if let bytes = stats.bytes { print("size: \(bytes / 1024) KiB") }
            print("model: \(stats.modelDirectory)" + (stats.modelProblem.map { " — \($0)" } ?? "")
                  + ((grok.embedder as? MiniLMEmbedder).map { " (OpenBLAS kernels: \($0.blasCore))" } ?? ""))
        }
    }

    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "embed", abstract: "Print the normalised sentence vectors (debugging, tests).")
        @Flag(help: "Print JSON.") var json = false
        @Argument(help: "Texts to embed.") var texts: [String]

        func validate() throws {
            if texts.isEmpty { throw ValidationError("give at least one text") }
        }

        func run() throws {
            let embedder: MiniLMEmbedder
            do { embedder = try MiniLMEmbedder() } catch let error as EmbeddingError { throw CLIError(error.description) }
            let vectors = embedder.embed(texts)
            if json {
                struct Row: Encodable { var text: String; var tokens: Int; var vector: [Float] }
                print(try jsonText(zip(texts, vectors).map { Row(text: $0, tokens: embedder.tokenize($0).count, vector: $1) }))
            } else {
                for vector in vectors { print(vector.map { String(format: "%.6f", $0) }.joined(separator: " ")) }
            }
        }
    }
}
