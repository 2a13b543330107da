import Foundation
import Testing
@testable import B00tCore

@Suite struct TokenizerTests {
    @Test(.enabled(if: GrokFixtures.modelPresent, "skipped: grok's model (vocab.txt) is missing; run `make model`"))
    func matchesTheReferenceTokenizerExactly() throws {
        let tokenizer = try WordPieceTokenizer(vocabularyFile: GrokFixtures.modelDirectory + "/vocab.txt")
        let cases = try GrokFixtures.tokenCases()
        #expect(cases.count >= 30)
        for example in cases {
            let ids = tokenizer.encode(example.text)
            #expect(ids == example.ids, "token ids differ for \(example.text.debugDescription)")
        }
    }

    /// A vocabulary small enough to reason about: checks the rules without the model.
    static let tiny: [String: Int32] = [
        "[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "un": 4, "##aff": 5, "##able": 6, "hello": 7, ",": 8,
        "world": 9, "!": 10, "cafe": 11, "北": 12, "京": 13, "a": 14, "##a": 15,
    ]

    @Test func basicRulesOnATinyVocabulary() throws {
        let t = try WordPieceTokenizer(vocabulary: Self.tiny)
        #expect(t.encode("Hello, WORLD!") == [2, 7, 8, 9, 10, 3])
        #expect(t.encode("unaffable") == [2, 4, 5, 6, 3])
        #expect(t.encode("Café") == [2, 11, 3], "accents stripped, lower-cased")
        #expect(t.encode("北京") == [2, 12, 13, 3], "CJK characters split")
        #expect(t.encode("unknownword") == [2, 1, 3], "no split at all: one [UNK]")
        #expect(t.encode("") == [2, 3])
        #expect(t.encode(" \t\n ") == [2, 3])
        #expect(t.encode("zero\u{200B}width") == [2, 1, 3], "format characters are dropped, joining the word")
        #expect(t.encode(String(repeating: "a", count: 100)) == [2, 14] + [Int32](repeating: 15, count: 99) + [3])
        #expect(t.encode(String(repeating: "a", count: 101)) == [2, 1, 3], "words over 100 characters are [UNK]")
    }

    @Test func truncatesToMaxTokensIncludingSpecials() throws {
        let t = try WordPieceTokenizer(vocabulary: Self.tiny, maxTokens: 5)
        #expect(t.encode("hello hello hello hello hello") == [2, 7, 7, 7, 3])
    }

    @Test func aVocabularyWithoutSpecialTokensIsAClearError() {
        #expect(throws: EmbeddingError.self) { try WordPieceTokenizer(vocabulary: ["a": 0]) }
    }
}
