import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// The SQLite store and `Grok` in words-only mode (no model needed): storage, dedupe, transactions, errors.
@Suite struct GrokStoreTests {
    @Test func theStoreIsPrivateAndKeepsFTSInStepWithChunks() throws {
        let folder = TempDir("grok")
        let grok = try folder.grok()
        try grok.digest("Redis listens on port 6379 by default.", topic: "redis")
        var info = stat()
        #expect(stat(folder.path + "/grok.sqlite", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try grok.ask("which port", limit: 3).first?.chunk.topic == "redis")
        #expect(try grok.forget(topic: "redis") == 1)
        #expect(try grok.ask("port", limit: 3).isEmpty, "the FTS index forgot the deleted chunk too")
    }

    @Test func theSameContentIsStoredOncePerTopic() throws {
        let folder = TempDir("grok")
        let grok = try folder.grok()
        let first = try grok.digest("Qdrant listens on port 6333.", topic: "qdrant")
        let second = try grok.digest("Qdrant listens on port 6333.", topic: "qdrant")
        #expect(first.added == 1 && second.added == 0 && second.duplicates == 1)
        try grok.digest("Qdrant listens on port 6333.", topic: "ops")
        #expect(try grok.topics() == [TopicCount(topic: "ops", chunks: 1), TopicCount(topic: "qdrant", chunks: 1)])
    }

    @Test func learnInfersTopicsAndSaysHow() throws {
        let folder = TempDir("grok")
        let notes = folder.write("notes/ops/runbook.md", "# Restart\nRestart the bus daemon with b00t restart b00t-bus.process.\n")
        folder.write("notes/ops/deploy.swift", "// Deploys the release build to the staging machine.\nlet target = \"staging\"\n")
        let grok = try folder.grok()
        let fileReport = try grok.learn([notes], topic: nil)
        #expect(fileReport.topics == ["markdown": "the file extension .md"])
        let folderReport = try grok.learn([folder.path + "/notes/ops"], topic: nil)
        #expect(folderReport.topics == ["ops": "the folder's name"])
        #expect(folderReport.files == 2)
        let given = try grok.learn(["some text to remember about the crew"], topic: "crew")
        #expect(given.topics == ["crew": "given"])
        #expect(try grok.topics().map(\.topic) == ["crew", "markdown", "ops"])
    }

    @Test func aFailingLearnLeavesNothingBehind() throws {
        let folder = TempDir("grok")
        let good = folder.write("good.md", "A perfectly good note about the orchestrator and its locks.\n")
        let binary = folder.path + "/image.png"
        try Data([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]).write(to: URL(fileURLWithPath: binary))
        let grok = try folder.grok()
        #expect(throws: GrokError.binaryFile(path: binary)) { try grok.learn([good, binary], topic: "t") }
        #expect(try grok.stats().chunks == 0, "one learn is one transaction")
        #expect(throws: GrokError.noSuchPath(path: "missing/notes.md")) { try grok.learn([good, "missing/notes.md"], topic: "t") }
        #expect(try grok.stats().chunks == 0)
    }

    @Test func badInputIsAClearError() throws {
        let folder = TempDir("grok")
        let grok = try folder.grok()
        #expect(throws: GrokError.emptyText(source: "the text")) { try grok.digest("   \n ", topic: "t") }
        #expect(throws: GrokError.self) { try grok.digest("short", topic: "t") }
        #expect(throws: GrokError.self) { try grok.digest("long enough text", topic: "  ") }
        let empty = folder.write("empty.md", "")
        #expect(throws: GrokError.emptyText(source: empty)) { try grok.learn([empty], topic: nil) }
        // A path through a regular file: the error names it (root reads anything, so permissions cannot show this).
        #expect(throws: GrokError.self) { try grok.learn([empty + "/inside.md"], topic: nil) }
        #expect(throws: GrokError.unknownTopic(topic: "nope", known: [])) { try grok.forget(topic: "nope") }
        #expect(throws: GrokError.unknownID(id: "42")) { try grok.forget(id: "42") }
        #expect(throws: GrokError.self) { try grok.ask("   ") }
    }

    @Test func aFolderWalkSkipsBinariesAndLinksAndSaysSo() throws {
        let folder = TempDir("grok")
        folder.write("docs/a.md", "Readable notes about the bus and its reducer.\n")
        try Data([0, 1, 2, 3]).write(to: URL(fileURLWithPath: folder.path + "/docs/blob.bin"))
        try FileManager.default.createSymbolicLink(atPath: folder.path + "/docs/loop", withDestinationPath: folder.path + "/docs")
        mkfifo(folder.path + "/docs/pipe", 0o600)
        let grok = try folder.grok()
        let report = try grok.learn([folder.path + "/docs"], topic: "docs")
        #expect(report.added == 1)
        #expect(report.skipped.count == 3, "\(report.skipped)")
        #expect(report.skipped.contains { $0.contains("blob.bin") && $0.contains("binary") })
    }

    @Test func aCorruptStoreIsNamedWithHowToRecover() throws {
        let folder = TempDir("grok")
        let path = folder.write("grok.sqlite", String(repeating: "this is not a database ", count: 500))
        do {
            _ = try SQLiteGrokStore(path: path)
            Issue.record("opened a corrupt store")
        } catch let error as GrokError {
            #expect(error.code == "grok_corrupt_store")
            #expect(error.description.contains(path) && error.description.contains("move it aside"))
        }
    }

    @Test func identifiersAreRecognised() {
        #expect(Grok.identifiers(in: "where is b00t_chunks and qdrant.docker on 6333?") == ["b00t_chunks", "qdrant.docker", "6333"])
        #expect(Grok.identifiers(in: "how do I start the database") == [])
        #expect(Grok.identifiers(in: "use cblas_sgemm or openblasSetNumThreads") == ["cblas_sgemm", "openblasSetNumThreads"])
    }

    @Test func anotherProcessWriteIsSeenByACachedReader() throws {
        let folder = TempDir("grok")
        guard let embedder = GrokFixtures.embedder else { return }
        let reader = Grok(backend: try SQLiteGrokStore(path: folder.path + "/grok.sqlite"), embedder: embedder)
        let writer = Grok(backend: try SQLiteGrokStore(path: folder.path + "/grok.sqlite"), embedder: embedder)
        try writer.digest("The captain breaks ties when the crew vote is split.", topic: "crew")
        #expect(try reader.ask("who decides a tied vote", limit: 1, ranking: .meaning).count == 1)
        try writer.digest("Nightly backups copy the state directory to the NAS.", topic: "ops")
        #expect(try reader.ask("where do backups go", limit: 1, ranking: .meaning).first?.chunk.topic == "ops")
        _ = try writer.forget(topic: "ops")
        #expect(try reader.ask("where do backups go", limit: 5, ranking: .meaning).allSatisfy { $0.chunk.topic != "ops" })
    }
}

@Suite struct GrokTextTests {
    @Test func learnedTextCannotDriveTheTerminal() throws {
        let folder = TempDir("grok")
        let grok = try folder.grok()
        try grok.digest("evil \u{1B}]0;owned\u{07} title and \u{1B}[2J clear, \u{202E}txt.exe", topic: "x\u{1B}[31m")
        let lines = GrokText.hitLines(try grok.ask("evil title", limit: 1))
        #expect(lines.count == 2)
        for line in lines {
            #expect(!line.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E }, "\(line.debugDescription)")
        }
        #expect(lines[1].contains("\\e]0;owned"))
        #expect(GrokText.preview(String(repeating: "word ", count: 100), length: 20) == "word word word word …")
    }
}
