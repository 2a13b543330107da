#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
import B00tCore

/// `b00t grok …`, `lfmf`, `advice` and `learn` as a user runs them: real processes, a private state dir, the
/// real model when installed (and a missing or damaged model on purpose).
@Suite struct GrokCLITests {
    static let modelDirectory = ModelManifest.standardDirectory()
    static let modelPresent = FileManager.default.fileExists(atPath: modelDirectory + "/model.safetensors")

    /// The environment of one user: own HOME and state dir, a given model folder (default: the real one).
    static func env(_ dir: TempDir, model: String? = nil) -> [String: String] {
        ["HOME": dir.path, "B00T_STATE_DIR": dir.path + "/state", "B00T_MODEL_DIR": model ?? modelDirectory,
         "B00T_PATH": dir.path + "/_b00t_", "B00T_GROK_URL": ""]
    }

    static func b00t(_ arguments: [String], _ env: [String: String], in dir: TempDir) throws -> RunResult {
        try run(Binaries.path("b00t"), arguments, environment: env, currentDirectory: dir.path)
    }

    @Test(.enabled(if: modelPresent, "skipped: grok's model is not installed; run `make model`"))
    func learnAskTopicsForgetStatsWithTheModel() throws {
        let dir = TempDir("grok-cli")
        let env = Self.env(dir)
        let notes = dir.write("notes/orchestrator.md", """
            # Locks
            Before starting a service the orchestrator takes a per-datum flock, so two callers never start two copies.

            # Ports
            Qdrant answers on port 6333; its collection for grok is b00t_chunks.
            """)
        let learn = try Self.b00t(["grok", "learn", notes], env, in: dir)
        #expect(learn.status == 0, "\(learn.stderr)")
        #expect(learn.stdout.contains("topic: markdown (inferred from the file extension .md)"))
        #expect(learn.stdout.contains("learned 2 new chunk(s)"))
        #expect(learn.stderr.isEmpty, "no notice with the model: \(learn.stderr)")
        let again = try Self.b00t(["grok", "learn", "-t", "markdown", notes], env, in: dir)
        #expect(again.stdout.contains("learned 0 new chunk(s), 2 already known"))
        let digest = try Self.b00t(["grok", "digest", "-t", "crew", "The captain breaks ties when a vote is split evenly."], env, in: dir)
        #expect(digest.status == 0)

        // No shared word with the answer: found by meaning.
        let ask = try Self.b00t(["grok", "ask", "what stops duplicate launches", "--json", "--limit", "2"], env, in: dir)
        #expect(ask.status == 0, "\(ask.stderr)")
        let hits = try JSONSerialization.jsonObject(with: Data(ask.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(hits.count == 2)
        let top = hits.first?["chunk"] as? [String: Any]
        #expect((top?["content"] as? String)?.contains("flock") == true, "\(ask.stdout)")
        #expect(top?["source"] as? String == URL(fileURLWithPath: notes).standardizedFileURL.path)
        #expect(hits.first?["cosine"] is Double)
        // An exact identifier wins.
        let exact = try Self.b00t(["grok", "ask", "b00t_chunks"], env, in: dir)
        #expect(exact.stdout.hasPrefix("1. [markdown] score"), "\(exact.stdout)")
        #expect(exact.stdout.split(separator: "\n").dropFirst().first?.contains("b00t_chunks") == true)
        let scoped = try Self.b00t(["grok", "ask", "-t", "crew", "who decides"], env, in: dir)
        #expect(scoped.stdout.contains("[crew]") && !scoped.stdout.contains("[markdown]"))

        let topics = try Self.b00t(["grok", "topics", "--json"], env, in: dir)
        let list = try JSONSerialization.jsonObject(with: Data(topics.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(list.compactMap { $0["topic"] as? String } == ["crew", "markdown"])
        let stats = try Self.b00t(["grok", "stats", "--json"], env, in: dir)
        let object = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(object["mode"] as? String == "hybrid")
        #expect(object["chunks"] as? Int == 3)
        let forget = try Self.b00t(["grok", "forget", "-t", "crew"], env, in: dir)
        #expect(forget.stdout.contains("forgot 1 chunk(s) of 'crew'"))
        let unknown = try Self.b00t(["grok", "forget", "-t", "crew"], env, in: dir)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("no chunks under topic 'crew'") && unknown.stderr.contains("markdown"))
        var info = stat()
        #expect(stat(dir.path + "/state/grok.sqlite", &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test(.enabled(if: modelPresent, "skipped: grok's model is not installed; run `make model`"))
    func chunksLearnedWithoutTheModelGetVectorsOnceItIsThere() throws {
        let dir = TempDir("grok-backfill")
        let without = Self.env(dir, model: dir.path + "/none")
        _ = try Self.b00t(["grok", "digest", "-t", "crew", "The captain breaks ties when a vote is split evenly."], without, in: dir)
        let with = Self.env(dir)
        let before = try Self.b00t(["grok", "stats", "--json"], with, in: dir)
        #expect(before.stdout.contains("\"chunks_without_vectors\" : 1"), "\(before.stdout)")
        let digest = try Self.b00t(["grok", "digest", "-t", "ops", "Nightly backups copy the state directory to the NAS."], with, in: dir)
        #expect(digest.stderr.contains("embedded 1 chunk(s) learned without the model"), "\(digest.stderr)")
        let after = try Self.b00t(["grok", "stats", "--json"], with, in: dir)
        #expect(after.stdout.contains("\"chunks_without_vectors\" : 0"), "\(after.stdout)")
        let ask = try Self.b00t(["grok", "ask", "who decides a deadlocked election", "--limit", "1"], with, in: dir)
        #expect(ask.stdout.contains("[crew]"), "\(ask.stdout)")
    }

    @Test(.enabled(if: modelPresent, "skipped: grok's model is not installed; run `make model`"))
    func embedPrintsUnitVectorsAsJSON() throws {
        let dir = TempDir("grok-embed")
        let result = try Self.b00t(["grok", "embed", "--json", "The weather is lovely today.", "It's so sunny outside!"], Self.env(dir), in: dir)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        let vectors = rows.compactMap { $0["vector"] as? [Double] }
        #expect(vectors.count == 2 && vectors.allSatisfy { $0.count == 384 })
        let dot = zip(vectors[0], vectors[1]).reduce(0) { $0 + $1.0 * $1.1 }
        // Published by sentence-transformers: https://sbert.net/docs/sentence_transformer/usage/usage.html
        #expect(abs(dot - 0.6660) <= 0.002)
    }

    @Test func withoutTheModelGrokRanksByWordsAndSaysSoOnce() throws {
        let dir = TempDir("grok-nomodel")
        let env = Self.env(dir, model: dir.path + "/no-model-here")
        let digest = try Self.b00t(["grok", "digest", "-t", "redis", "Redis listens on port 6379 by default."], env, in: dir)
        #expect(digest.status == 0)
        let notice = digest.stderr.split(separator: "\n")
        #expect(notice.count == 1 && notice[0].contains("make model") && notice[0].contains("BM25"), "\(digest.stderr)")
        let ask = try Self.b00t(["grok", "ask", "which port does redis use"], env, in: dir)
        #expect(ask.stdout.contains("[redis]"))
        #expect(ask.stderr.split(separator: "\n").count == 1)
        let stats = try Self.b00t(["grok", "stats"], env, in: dir)
        #expect(stats.stdout.contains("mode: bm25 (words only"))
        #expect(stats.stdout.contains("chunks without vectors: 1"))
        let embed = try Self.b00t(["grok", "embed", "x"], env, in: dir)
        #expect(embed.status != 0 && embed.stderr.contains("no-model-here/model.safetensors is missing"))
    }

    @Test(.enabled(if: modelPresent, "skipped: grok's model is not installed; run `make model`"))
    func aWrongHashModelIsRefusedByName() throws {
        let dir = TempDir("grok-badmodel")
        let model = dir.path + "/model"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.modelDirectory + "/vocab.txt", toPath: model + "/vocab.txt")
        // Copy, then flip one byte in place: same size, different hash (and no 90 MB in this process's memory,
        // which other tests here measure through their children's peak RSS).
        try FileManager.default.copyItem(atPath: Self.modelDirectory + "/model.safetensors", toPath: model + "/model.safetensors")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: model + "/model.safetensors"))
        let end = try handle.seekToEnd()
        try handle.seek(toOffset: end - 10)
        let byte = try handle.read(upToCount: 1) ?? Data([0])
        try handle.seek(toOffset: end - 10)
        try handle.write(contentsOf: Data([byte[byte.startIndex] ^ 0xff]))
        try handle.close()
        let env = Self.env(dir, model: model)
        let embed = try Self.b00t(["grok", "embed", "x"], env, in: dir)
        #expect(embed.status != 0)
        #expect(embed.stderr.contains(model + "/model.safetensors is not the pinned model file"), "\(embed.stderr)")
        #expect(embed.stderr.contains("make model"))
    }

    @Test func badInputIsAClearErrorNamingTheThing() throws {
        let dir = TempDir("grok-bad")
        let env = Self.env(dir, model: dir.path + "/none")
        let binary = dir.path + "/photo.jpg"
        try Data([0xff, 0xd8, 0xff, 0x00, 0x10]).write(to: URL(fileURLWithPath: binary))
        let cases: [([String], String)] = [
            (["grok", "learn", binary], "photo.jpg looks binary"),
            (["grok", "learn", "nowhere/notes.md"], "nowhere/notes.md: no such file or directory"),
            (["grok", "learn", "   "], "nothing to learn"),
            (["grok", "digest", "-t", "t", ""], "nothing to learn"),
            (["grok", "forget", "--id", "99"], "no chunk with id 99"),
            (["grok", "forget"], "exactly one of -t TOPIC or --id ID"),
            (["grok", "ask", "x", "--limit", "0"], "--limit must be"),
            (["lfmf", "redis", "no colon"], "no `topic:`"),
            (["lfmf", "redis", "topic:"], "nothing after"),
            (["lfmf", "../x", "a: b"], "tool name"),
        ]
        try FileManager.default.createDirectory(atPath: dir.path + "/_b00t_", withIntermediateDirectories: true)
        for (arguments, expected) in cases {
            let result = try Self.b00t(arguments, env, in: dir)
            #expect(result.status != 0, "\(arguments) succeeded")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
        let corrupt = TempDir("grok-corrupt")
        try FileManager.default.createDirectory(atPath: corrupt.path + "/state", withIntermediateDirectories: true)
        corrupt.write("state/grok.sqlite", String(repeating: "garbage, not SQLite ", count: 400))
        let result = try Self.b00t(["grok", "stats"], Self.env(corrupt, model: corrupt.path + "/none"), in: corrupt)
        #expect(result.status != 0)
        #expect(result.stderr.contains("grok.sqlite is damaged") && result.stderr.contains("move it aside"), "\(result.stderr)")
    }

    @Test func fiftyMegabytesStreamThroughInBoundedMemory() throws {
        let dir = TempDir("grok-big")
        let path = dir.path + "/big.txt"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        var written = 0
        var round = 0
        while written < 50_000_000 {
            // Distinct lines (no chunk is a duplicate), a blank line now and then, one 200 KB line without breaks.
            var block = ""
            for i in 0..<1_000 { block += "Line \(i) of round \(round): the orchestrator probed service \(i % 97) and found it healthy.\n" }
            if round % 5 == 0 { block += "\n" }
            if round == 7 { block += String(repeating: "unbroken\(round) ", count: 20_000) + "\n" }
            let data = Data(block.utf8)
            try handle.write(contentsOf: data)
            written += data.count
            round += 1
        }
        try handle.close()
        let env = Self.env(dir, model: dir.path + "/none")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("b00t"))
        process.arguments = ["grok", "learn", "-t", "big", path]
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Peak resident memory, sampled from /proc while it runs.
        var peakKB = 0
        while process.isRunning {
            if let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
               let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
               let kb = Int(line.split(separator: " ").dropFirst().first ?? "") {
                peakKB = max(peakKB, kb)
            }
            usleep(50_000)
        }
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("learned"), "\(output)")
        #expect(peakKB > 0 && peakKB < 200_000, "peak RSS \(peakKB) KB for a 50 MB file")
    }

    @Test(.enabled(if: modelPresent, "skipped: grok's model is not installed; run `make model`"))
    func lfmfAdviceAndLearn() throws {
        let dir = TempDir("grok-lfmf")
        let env = Self.env(dir)
        dir.write("_b00t_/qdrant.docker.toml", """
            [b00t]
            name = "qdrant"
            type = "docker"
            hint = "Vector database"
            image = "qdrant/qdrant"
            usage = ["curl -s localhost:6333/collections # list collections"]

            [b00t.learn]
            topic = "vector-db"
            inline = "Collections hold vectors plus payloads; grok stores chunk embeddings here."
            auto_digest = true
            """)
        dir.write("_b00t_/learn/qdrant.md", "# Qdrant\nStart it with `b00t up qdrant.docker`.\n")
        let first = try Self.b00t(["lfmf", "qdrant", "storage: the volume b00t-qdrant keeps data across container restarts"], env, in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("lesson recorded in \(dir.path)/_b00t_/learn/qdrant.md"))
        _ = try Self.b00t(["lfmf", "qdrant", "memory: qdrant needs about 2 GB for a million 384-dim points"], env, in: dir)
        let file = try String(contentsOfFile: dir.path + "/_b00t_/learn/qdrant.md", encoding: .utf8)
        #expect(file.hasSuffix("---\nstorage: the volume b00t-qdrant keeps data across container restarts\n---\nmemory: qdrant needs about 2 GB for a million 384-dim points\n"))

        let advice = try Self.b00t(["advice", "qdrant", "lost my data when the container restarted"], env, in: dir)
        #expect(advice.status == 0, "\(advice.stderr)")
        let lines = advice.stdout.split(separator: "\n")
        #expect(lines.first?.contains("[lfmf:qdrant] score") == true, "\(advice.stdout)")
        #expect(lines.dropFirst().first?.contains("storage:") == true, "\(advice.stdout)")
        let none = try Self.b00t(["advice", "redis", "it crashed"], env, in: dir)
        #expect(none.stdout.contains("no lessons for redis yet"))

        let learn = try Self.b00t(["learn", "qdrant"], env, in: dir)
        #expect(learn.status == 0, "\(learn.stderr)")
        let text = learn.stdout
        let order = ["## qdrant.docker", "Collections hold vectors", "## \(dir.path)/_b00t_/learn/qdrant.md", "b00t up qdrant.docker",
                     "## Lessons (lfmf)", "- storage:", "## From grok"]
        var cursor = text.startIndex
        for part in order {
            guard let range = text.range(of: part, range: cursor..<text.endIndex) else {
                Issue.record("'\(part)' missing or out of order in:\n\(text)")
                break
            }
            cursor = range.upperBound
        }
        #expect(text.contains("(digested 1 chunk(s) into grok)"))
        let topics = try Self.b00t(["grok", "topics"], env, in: dir)
        #expect(topics.stdout.contains("vector-db\t1") && topics.stdout.contains("lfmf:qdrant\t2"))
    }
}

@Suite struct GrokReplayTests {
    /// /lfmf and /advice from a replay file, through `b00t replay`: the lesson lands in the datum folder's
    /// learn/TOOL.md and advice finds it.
    @Test func lfmfAndAdviceInAReplay() throws {
        let dir = TempDir("grok-replay")
        try FileManager.default.createDirectory(atPath: dir.path + "/_b00t_", withIntermediateDirectories: true)
        let script = dir.write("lessons.k0", """
            /lfmf redis port: another redis held 6379, stop it or pass --port
            @expect lesson recorded
            /advice redis the server says address already in use
            @expect another redis held 6379
            /lfmf redis no colon here
            @expect-error no `topic:`
            /grok ask which port -t lfmf:redis
            @expect [lfmf:redis]
            """)
        let env = GrokCLITests.env(dir, model: dir.path + "/none")
        let result = try GrokCLITests.b00t(["replay", script], env, in: dir)
        #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
        let file = try String(contentsOfFile: dir.path + "/_b00t_/learn/redis.md", encoding: .utf8)
        #expect(file == "---\nport: another redis held 6379, stop it or pass --port\n")
    }
}
