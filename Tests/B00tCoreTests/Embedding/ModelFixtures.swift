import Foundation
@testable import B00tCore

/// The repository's grok fixtures (written once by Tests/python/minilm_reference.py) and the installed model.
enum GrokFixtures {
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static let folder = root + "/Tests/Fixtures/grok"

    static let modelDirectory = ModelManifest.standardDirectory()
    static let modelPresent = FileManager.default.fileExists(atPath: modelDirectory + "/model.safetensors")
        && FileManager.default.fileExists(atPath: modelDirectory + "/vocab.txt")
    static let skipMessage = "skipped: grok's model is not in \(modelDirectory); run `make model`"

    /// One embedder per test process: loading maps 90 MB and checks its hash (stamped after the first time).
    static let embedder: MiniLMEmbedder? = try? MiniLMEmbedder(directory: modelDirectory)

    struct TokenCase: Decodable { var text: String; var ids: [Int32] }
    struct EmbeddingCase: Decodable { var text: String; var vector: [Float] }
    private struct Cases<T: Decodable>: Decodable { var cases: [T] }

    static func tokenCases() throws -> [TokenCase] {
        try JSONDecoder().decode(Cases<TokenCase>.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/tokenizer_cases.json"))).cases
    }

    static func embeddingCases() throws -> [EmbeddingCase] {
        try JSONDecoder().decode(Cases<EmbeddingCase>.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/embedding_cases.json"))).cases
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for i in a.indices {
        dot += Double(a[i]) * Double(b[i])
        na += Double(a[i]) * Double(a[i])
        nb += Double(b[i]) * Double(b[i])
    }
    return dot / max((na * nb).squareRoot(), 1e-30)
}
