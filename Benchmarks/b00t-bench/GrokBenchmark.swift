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
        let sentences = try String(contentsOfFile: fixtures + "/bench_sentences.txt", encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        for (key, value) in embeddingFigures(embedder, sentences: sentences) { figures[key] = value }
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
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }
}
