import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Ranking with the real model over the labelled recall set (Tests/Fixtures/grok/recall_set.json).
@Suite(.enabled(if: GrokFixtures.modelPresent, "skipped: grok's model is not installed; run `make model`"))
struct HybridRankingTests {
    static func grokWithRecallSet(in folder: TempDir) throws -> (Grok, RecallSet) {
        let store = try SQLiteGrokStore(path: folder.path + "/grok.sqlite")
        let embedder: MiniLMEmbedder = try #require(GrokFixtures.embedder)
        let grok = Grok(backend: store, embedder: embedder)
        let set = try RecallSet.load(GrokFixtures.folder + "/recall_set.json")
        try set.learn(into: grok)
        return (grok, set)
    }

    @Test func hybridRecallIsAtLeastEachSignalAlone() throws {
        let folder = TempDir("grok")
        let (grok, set) = try Self.grokWithRecallSet(in: folder)
        #expect(set.questions.count >= 50)
        #expect(set.questions.filter(\.noSharedWords).count >= 10)
        let hybrid = try set.recall(grok, ranking: .hybrid)
        let words = try set.recall(grok, ranking: .words)
        let meaning = try set.recall(grok, ranking: .meaning)
        #expect(hybrid.recall >= words.recall, "hybrid \(hybrid.recall) < words \(words.recall); misses: \(hybrid.misses)")
        #expect(hybrid.recall >= meaning.recall, "hybrid \(hybrid.recall) < meaning \(meaning.recall); misses: \(hybrid.misses)")
        #expect(hybrid.recall >= 0.9, "misses: \(hybrid.misses)")
    }

    @Test func questionsSharingNoWordFindTheirAnswerThroughMeaning() throws {
        let folder = TempDir("grok")
        let (grok, set) = try Self.grokWithRecallSet(in: folder)
        let wordless = set.questions.filter(\.noSharedWords)
        var found = 0
        var rescued = 0
        for question in wordless {
            let hybrid = try grok.ask(question.question, limit: 5)
            if hybrid.contains(where: { $0.chunk.source == question.answer }) { found += 1 }
            let words = try grok.ask(question.question, limit: 5, ranking: .words)
            if hybrid.first?.chunk.source == question.answer, !words.contains(where: { $0.chunk.source == question.answer }) {
                rescued += 1
            }
        }
        #expect(Double(found) >= 0.9 * Double(wordless.count), "\(found) of \(wordless.count)")
        #expect(rescued >= 5, "only \(rescued) answers that words alone miss came first")
    }

    @Test func anExactIdentifierWins() throws {
        let folder = TempDir("grok")
        let (grok, _) = try Self.grokWithRecallSet(in: folder)
        for (identifier, answer) in [("b00t_chunks", "qdrant-collection"), ("SO_PEERCRED", "bus-socket"),
                                     ("cblas_sgemm", "blas-sgemm"), ("6379", "redis-port")] {
            let hits = try grok.ask("where is \(identifier) used", limit: 3)
            #expect(hits.first?.chunk.source == answer, "\(identifier): \(hits.map(\.chunk.source))")
        }
    }

    @Test func topicRestrictsTheHits() throws {
        let folder = TempDir("grok")
        let (grok, _) = try Self.grokWithRecallSet(in: folder)
        let hits = try grok.ask("how do I keep data", topic: "redis", limit: 10)
        #expect(!hits.isEmpty)
        #expect(hits.allSatisfy { $0.chunk.topic == "redis" })
    }
}
