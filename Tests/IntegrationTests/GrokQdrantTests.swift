import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import B00tCore

/// The Qdrant backend against a real Qdrant: `$B00T_TEST_QDRANT_URL`, else 127.0.0.1:6333. This machine has
/// none (no container engine), so these print "skipped: no Qdrant" here.
let qdrantURL: String? = {
    let url = ProcessInfo.processInfo.environment["B00T_TEST_QDRANT_URL"] ?? "http://127.0.0.1:6333"
    guard let health = URL(string: url + "/healthz") else { return nil }
    let done = DispatchSemaphore(value: 0)
    final class Flag: @unchecked Sendable { var ok = false }
    let flag = Flag()
    URLSession.shared.dataTask(with: URLRequest(url: health, timeoutInterval: 1)) { _, response, _ in
        flag.ok = (response as? HTTPURLResponse)?.statusCode == 200
        done.signal()
    }.resume()
    _ = done.wait(timeout: .now() + 2)
    return flag.ok ? url : nil
}()

@Suite(.enabled(if: qdrantURL != nil, "skipped: no Qdrant (set B00T_TEST_QDRANT_URL or run one on 127.0.0.1:6333)"))
struct GrokQdrantTests {
    @Test func learnAskTopicsForgetThroughQdrant() throws {
        guard let url = qdrantURL, let embedder = try? MiniLMEmbedder() else { return }
        let collection = "b00t_test_\(UUID().uuidString.prefix(8).lowercased())"
        let store = try QdrantGrokStore(url: url, collection: collection)
        defer { try? store.dropCollection() }
        let grok = Grok(backend: store, embedder: embedder)
        #expect(grok.mode == "vector")
        let first = try grok.digest("The orchestrator takes a per-datum flock before starting a service.", topic: "orchestrator")
        let again = try grok.digest("The orchestrator takes a per-datum flock before starting a service.", topic: "orchestrator")
        #expect(first.added == 1 && again.added == 0, "point ids derive from topic + content")
        try grok.digest("Nightly backups copy the state directory to the NAS.", topic: "ops")
        let hits = try grok.ask("what prevents two copies of a service", limit: 2)
        #expect(hits.first?.chunk.topic == "orchestrator")
        #expect(try grok.topics() == [TopicCount(topic: "ops", chunks: 1), TopicCount(topic: "orchestrator", chunks: 1)])
        #expect(try grok.forget(topic: "ops") == 1)
        #expect(throws: GrokError.self) { try grok.forget(topic: "ops") }
    }
}

@Suite struct GrokQdrantURLTests {
    @Test func aBadURLOrNoServerIsAClearError() {
        #expect(throws: GrokError.self) { try QdrantGrokStore(url: "redis://x:1") }
        do {
            _ = try QdrantGrokStore(url: "qdrant://127.0.0.1:\(LoopbackPort.free())", timeout: 2)
            Issue.record("connected to nothing")
        } catch let error as GrokError {
            #expect(error.code == "grok_qdrant")
            #expect(error.description.contains("b00t up grok.stack"))
        } catch {
            Issue.record("\(error)")
        }
    }
}
