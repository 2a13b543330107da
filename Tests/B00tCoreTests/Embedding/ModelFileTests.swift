import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

@Suite struct SHA256Tests {
    @Test func knownDigests() {
        var empty = SHA256()
        #expect(empty.finalizeHex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var abc = SHA256()
        abc.update(Array("abc".utf8))
        #expect(abc.finalizeHex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // 56 bytes: the padding spills into a second block.
        var two = SHA256()
        two.update(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        #expect(two.finalizeHex() == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func piecewiseUpdatesEqualOneUpdate() {
        let bytes = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        var whole = SHA256()
        whole.update(bytes)
        var pieces = SHA256()
        for size in [1, 63, 64, 65, 7, 800] {
            let start = [1, 63, 64, 65, 7, 800].prefix { $0 != size }.reduce(0, +)
            pieces.update(bytes[start..<min(start + size, bytes.count)])
        }
        #expect(whole.finalizeHex() == pieces.finalizeHex())
    }
}

@Suite struct ModelManifestTests {
    @Test func missingWrongSizeAndWrongHashAreClearErrors() throws {
        let folder = TempDir("grok")
        let good = "hello model\n"
        let manifest = ModelManifest(entries: [.init(name: "weights.bin", size: good.utf8.count,
                                                     sha256: "762f891243fbf4ac23698261a10e9f49a0226bed54c2a985e90e2f5df35c835c")])
        #expect(throws: EmbeddingError.modelMissing(directory: folder.path, file: "weights.bin")) {
            try manifest.verify(directory: folder.path)
        }
        folder.write("weights.bin", "hello")
        #expect(throws: EmbeddingError.wrongSize(path: folder.path + "/weights.bin", expected: 12, found: 5)) {
            try manifest.verify(directory: folder.path)
        }
        folder.write("weights.bin", "hello modeL\n")
        do {
            try manifest.verify(directory: folder.path)
            Issue.record("a changed file passed")
        } catch let error as EmbeddingError {
            #expect(error.code == "model_wrong_hash")
            #expect(error.description.contains("weights.bin") && error.description.contains("make model"))
        }
    }

    @Test func anIntactFileIsStampedAndAChangedOneIsCaughtDespiteTheStamp() throws {
        let folder = TempDir("grok")
        let path = folder.write("weights.bin", "hello model\n")
        let hash = try ModelManifest.hashFile(path)
        let manifest = ModelManifest(entries: [.init(name: "weights.bin", size: 12, sha256: hash)])
        try manifest.verify(directory: folder.path)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/" + ModelManifest.stampName))
        try manifest.verify(directory: folder.path)
        usleep(10_000)
        folder.write("weights.bin", "jello model\n")
        #expect(throws: EmbeddingError.self) { try manifest.verify(directory: folder.path) }
    }

    @Test func theMakefilePinsTheSameHashes() throws {
        let makefile = try String(contentsOfFile: GrokFixtures.root + "/Makefile", encoding: .utf8)
        for entry in ModelManifest.miniLM.entries {
            #expect(makefile.contains(entry.sha256), "Makefile lacks the SHA-256 of \(entry.name)")
        }
    }

    @Test(.enabled(if: GrokFixtures.modelPresent, "skipped: grok's model is not installed; run `make model`"))
    func aTruncatedModelIsRefusedWithTheFileNamed() throws {
        let folder = TempDir("grok")
        let source = GrokFixtures.modelDirectory
        try FileManager.default.copyItem(atPath: source + "/vocab.txt", toPath: folder.path + "/vocab.txt")
        try FileManager.default.copyItem(atPath: source + "/model.safetensors", toPath: folder.path + "/model.safetensors")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: folder.path + "/model.safetensors"))
        try handle.truncate(atOffset: try handle.seekToEnd() / 2)
        try handle.close()
        do {
            _ = try MiniLMEmbedder(directory: folder.path)
            Issue.record("a truncated model loaded")
        } catch let error as EmbeddingError {
            #expect(error.code == "model_wrong_size")
            #expect(error.description.contains(folder.path + "/model.safetensors"))
        }
    }
}

@Suite struct SafeTensorsTests {
    /// A file with the given header JSON and `dataBytes` bytes of data.
    static func file(_ folder: TempDir, header: String, dataBytes: Int) throws -> String {
        var bytes: [UInt8] = []
        let json = Array(header.utf8)
        var length = UInt64(json.count)
        for _ in 0..<8 { bytes.append(UInt8(length & 0xff)); length >>= 8 }
        bytes += json
        bytes += [UInt8](repeating: 0, count: dataBytes)
        let path = folder.path + "/t.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func readsAValidFile() throws {
        let folder = TempDir("grok")
        let path = try Self.file(folder, header: #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"format":"pt"}}"#, dataBytes: 16)
        let file = try SafeTensorsFile(path: path)
        #expect(file.tensors["a"]?.shape == [2, 2])
        #expect(file.metadata["format"] == "pt")
        _ = try file.floats("a", shape: [2, 2])
        #expect(throws: EmbeddingError.self) { try file.floats("a", shape: [4]) }
        #expect(throws: EmbeddingError.self) { try file.floats("b", shape: [2, 2]) }
    }

    @Test(arguments: [
        (#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#, 8, "truncated"),
        (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, 16, "bytes for"),
        (#"{"a":{"dtype":"Q4","shape":[4],"data_offsets":[0,16]}}"#, 16, "unknown dtype"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, 16, "not a range"),
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, 16, "overlap"),
        (#"[1,2,3]"#, 0, "not a JSON object"),
        (#"{"a": nope"#, 0, "not JSON"),
    ])
    func refusesBadHeaders(header: String, dataBytes: Int, expected: String) throws {
        let folder = TempDir("grok")
        let path = try Self.file(folder, header: header, dataBytes: dataBytes)
        do {
            _ = try SafeTensorsFile(path: path)
            Issue.record("accepted \(header)")
        } catch let error as EmbeddingError {
            #expect(error.code == "model_bad_safetensors")
            #expect(error.description.contains(expected), "\(error.description)")
            #expect(error.description.contains(path))
        }
    }

    @Test func aHeaderLengthBeyondTheFileIsRefused() throws {
        let folder = TempDir("grok")
        let path = folder.path + "/t.safetensors"
        try Data([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0x7b, 0x7d]).write(to: URL(fileURLWithPath: path))
        #expect(throws: EmbeddingError.self) { try SafeTensorsFile(path: path) }
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        #expect(throws: EmbeddingError.self) { try SafeTensorsFile(path: path) }
    }
}
