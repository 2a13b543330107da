import Foundation
import Testing
@testable import B00tCore

@Suite struct TextChunkerTests {
    @Test func headingsStartChunksAndParagraphsArePacked() {
        let text = """
            # One
            First paragraph of section one.

            Second paragraph of section one.
            # Two
            Only paragraph of section two.
            """
        let chunks = TextChunker.chunks(of: text)
        #expect(chunks == [
            "# One\nFirst paragraph of section one.\n\nSecond paragraph of section one.",
            "# Two\nOnly paragraph of section two.",
        ])
    }

    @Test func longTextIsCutIntoOverlappingWindowsNearTheTarget() {
        let words = (0..<600).map { "word\($0)" }
        let chunks = TextChunker.chunks(of: words.joined(separator: " "))
        #expect(chunks.count >= 4)
        for chunk in chunks { #expect(chunk.count <= 1_000) }
        for chunk in chunks.dropLast() { #expect(chunk.count >= 800) }
        // Consecutive windows share text (about 50 characters), and no word is lost.
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            let firstWord = String(b.split(separator: " ")[0])
            #expect(a.contains(firstWord), "window does not overlap: \(firstWord)")
        }
        let seen = Set(chunks.flatMap { $0.split(separator: " ").map(String.init) })
        #expect(words.allSatisfy(seen.contains))
    }

    @Test func piecesUnderTenCharactersAreDropped() {
        #expect(TextChunker.chunks(of: "# A\n\ntiny\n\n# B\nlong enough text here").count == 1)
        #expect(TextChunker.chunks(of: "   \n\n \t ").isEmpty)
    }

    @Test func paragraphsBeyondTheTargetDoNotMerge() {
        let a = String(repeating: "a", count: 600)
        let b = String(repeating: "b", count: 600)
        #expect(TextChunker.chunks(of: a + "\n\n" + b) == [a, b])
    }

    @Test func aHashWithoutSpaceIsNotAHeading() {
        #expect(TextChunker.chunks(of: "some text here\n#hashtag continues it") == ["some text here\n#hashtag continues it"])
    }
}
