import Foundation

/// A labelled set of questions, each naming the chunk that answers it (Tests/Fixtures/grok/recall_set.json),
/// and recall@k of grok's rankings over it: the figure that shows what fusing words and meaning buys.
public struct RecallSet: Sendable, Decodable {
    public struct Chunk: Sendable, Decodable {
        public var id: String
        public var topic: String
        public var content: String
    }

    public struct Question: Sendable, Decodable {
        public var question: String
        public var answer: String
        public var noSharedWords: Bool

        enum CodingKeys: String, CodingKey {
            case question, answer, noSharedWords = "no_shared_words"
        }
    }

    public var chunks: [Chunk]
    public var questions: [Question]

    public static func load(_ path: String) throws -> RecallSet {
        try JSONDecoder().decode(RecallSet.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Stores every chunk under its topic (one `digest` each, so one chunk each).
    public func learn(into grok: Grok) throws {
        for chunk in chunks { try grok.digest(chunk.content, topic: chunk.topic, source: chunk.id) }
    }

    /// The share of questions whose answer is among the first `k` hits, and the questions that missed.
    public func recall(_ grok: Grok, ranking: Grok.Ranking, k: Int = 5) throws -> (recall: Double, misses: [String]) {
        var found = 0
        var misses: [String] = []
        for question in questions {
            let hits = try grok.ask(question.question, limit: k, ranking: ranking)
            if hits.contains(where: { $0.chunk.source == question.answer }) { found += 1 } else { misses.append(question.question) }
        }
        return (Double(found) / Double(max(questions.count, 1)), misses)
    }
}
