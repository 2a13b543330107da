import Foundation
import Testing
@testable import B00tCore

@Suite(.enabled(if: GrokFixtures.modelPresent, "skipped: grok's model is not installed; run `make model`"))
struct EmbeddingTests {
    @Test func matchesTheNumPyReference() throws {
        let embedder = try #require(GrokFixtures.embedder)
        let cases = try GrokFixtures.embeddingCases()
        #expect(cases.count >= 10)
        let batched = embedder.embed(cases.map(\.text))
        for (index, example) in cases.enumerated() {
            let single = embedder.embed([example.text])[0]
            #expect(single.count == 384)
            let similarity = cosine(single, example.vector)
            #expect(similarity >= 0.9999, "cosine \(similarity) for \(example.text.prefix(40).debugDescription)")
            // Batching stacks sentences without padding: the result must not depend on the neighbours.
            #expect(cosine(batched[index], single) >= 0.99999)
        }
    }

    /// The figures the sentence-transformers documentation publishes for this model.
    /// Source: https://sbert.net/docs/sentence_transformer/usage/usage.html (quick start:
    /// "The weather is lovely today." / "It's so sunny outside!" / "He drove to the stadium.").
    @Test func reproducesTheQuickStartSimilarities() throws {
        let embedder = try #require(GrokFixtures.embedder)
        let v = embedder.embed(["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."])
        #expect(abs(cosine(v[0], v[1]) - 0.6660) <= 0.002)
        #expect(abs(cosine(v[0], v[2]) - 0.1046) <= 0.002)
        #expect(abs(cosine(v[1], v[2]) - 0.1411) <= 0.002)
    }

    /// Source: https://sbert.net/docs/sentence_transformer/usage/semantic_textual_similarity.html
    @Test func reproducesTheSemanticTextualSimilarityTable() throws {
        let embedder = try #require(GrokFixtures.embedder)
        let left = embedder.embed(["The new movie is awesome", "The cat sits outside", "A man is playing guitar"])
        let right = embedder.embed(["The dog plays in the garden", "The new movie is so great", "A woman watches TV"])
        let published: [[Double]] = [
            [0.0543, 0.8939, -0.0502],
            [0.2838, -0.0029, 0.1310],
            [0.2277, -0.0136, -0.0327],
        ]
        for i in 0..<3 {
            for j in 0..<3 {
                let found = cosine(left[i], right[j])
                #expect(abs(found - published[i][j]) <= 0.002, "[\(i)][\(j)] = \(found), published \(published[i][j])")
            }
        }
    }

    @Test func vectorsAreUnitLengthAndAnEmptyBatchIsEmpty() throws {
        let embedder = try #require(GrokFixtures.embedder)
        #expect(embedder.embed([]).isEmpty)
        for vector in embedder.embed(["", "x", String(repeating: "long text ", count: 400)]) {
            let norm = vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
        }
    }
}
