#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import K0mmand3rKit

/// Widths as the terminal lays text out (see `TextWidth`); tmux's own layout is checked in the integration
/// tests (`TextWidthTmuxTests`), the C library's table here.
@Suite struct TextWidthTests {
    @Test func emojiClustersAsTheTerminalDrawsThem() {
        #expect(TextWidth.width(of: "👍🏽") == 4)   // a wide emoji and a wide skin-tone modifier: two cells
        #expect(TextWidth.width(of: "👩‍💻") == 2)  // a ZWJ sequence: as wide as its first emoji
        #expect(TextWidth.width(of: "🇯🇵") == 2)   // two narrow regional indicators
        #expect(TextWidth.width(of: "🏳️‍🌈") == 1)   // narrow flag + VS16 + ZWJ + a glued rainbow
        #expect(TextWidth.width(of: "❤️") == 1)
        #expect(TextWidth.width(of: "é") == 1)     // e + combining acute
        #expect(TextWidth.width(of: "a\u{200D}b") == 2)  // a narrow char after a ZWJ is not glued
        #expect(TextWidth.width(of: "a\u{200D}💻") == 1)  // a wide one is, even across clusters
        #expect(TextWidth.width(of: "日本") == 4)
        #expect(TextWidth.width(of: "🫨") == 1)      // unknown to the C library: drawn as �
    }

    @Test func cellsHoldWhatIsDrawnTogether() {
        #expect(TextWidth.cells(of: "👍🏽").map(\.width) == [2, 2])
        #expect(TextWidth.cells(of: "👩‍💻") == [TextWidth.Cell(text: "👩‍💻", width: 2)])
        #expect(TextWidth.cells(of: "x🫨").map(\.text) == ["x", "\u{FFFD}"])
        #expect(TextWidth.cells(of: "\u{301}a").map(\.text) == ["a"])  // nothing before it to join
        // A family is five code points at most in one cell (curses' limit), still two columns.
        let family = TextWidth.cells(of: "👨‍👩‍👧‍👦")
        #expect(family.count == 1 && family[0].width == 2 && family[0].text.unicodeScalars.count == 5)
        // Widths and cells always agree.
        for text in ["👍🏽 ok", "🇯🇵🇫🇷x", "a‍💻b", "e\u{301}\u{302}", "中文 🚀", "☝🏽", "1️⃣"] {
            #expect(TextWidth.cells(of: text).reduce(0) { $0 + $1.width } == TextWidth.width(of: text), "\(text)")
        }
    }

    /// The table is the C library's `wcwidth`, code point by code point (this machine's glibc, C.UTF-8).
    @Test func tableMatchesTheCLibrary() throws {
        typealias WcWidth = @convention(c) (Int32) -> Int32
        let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "wcwidth"))
        let wcwidth = unsafeBitCast(symbol, to: WcWidth.self)
        let saved = String(cString: setlocale(LC_CTYPE, nil))
        guard setlocale(LC_CTYPE, "C.UTF-8") != nil else { return }
        defer { setlocale(LC_CTYPE, saved) }
        var mismatches: [String] = []
        for value in UInt32(0xA0)...0x10FFFF where !(0xD800...0xDFFF).contains(value) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let expected = Int(wcwidth(Int32(bitPattern: value)))
            if TextWidth.wcwidth(scalar) != expected, mismatches.count < 10 {
                mismatches.append(String(format: "U+%04X: table %d, libc %d", value, TextWidth.wcwidth(scalar), expected))
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test func fitAndWrapNeverCutACluster() {
        #expect(TextWidth.fit("ab👍🏽", columns: 4) == "ab  ")
        #expect(TextWidth.fit("ab👩‍💻c", columns: 4) == "ab👩‍💻")
        #expect(TextWidth.wrap("👍🏽👍🏽", columns: 4) == ["👍🏽", "👍🏽"])
    }
}

@Suite struct StreamLayoutTests {
    /// A 503-character chat line wraps under its text (past the time and the speaker), at word boundaries,
    /// with nothing lost and no row wider than the pane.
    @Test func longLinesWrapWithAHangingIndent() {
        let words = (0..<60).map { "word\($0)" }.joined(separator: " ")
        let text = "12:00:00 alice: " + words + " " + String(repeating: "x", count: 120)
        let line = StyledText(text, role: "event.message", hang: 16)
        let chars = StreamLayout.shown(line)
        let rows = StreamLayout.rows(of: line, width: 76)
        #expect(rows.count > 5)
        #expect(rows.first?.indent == 0)
        #expect(rows.dropFirst().allSatisfy { $0.indent == 16 })
        for row in rows { #expect(row.indent + TextWidth.width(of: String(chars[row.start..<row.end])) <= 76) }
        // Rows break after a space (never inside a word), except the run of x's longer than a row.
        let texts = rows.map { String(chars[$0.start..<$0.end]) }
        #expect(texts.dropLast(2).allSatisfy { $0.hasSuffix(" ") })
        #expect(texts.joined().replacingOccurrences(of: " ", with: "") == text.replacingOccurrences(of: " ", with: ""))
    }

    @Test func pastedLinesKeepTheirBreaks() {
        let line = StyledText("12:00:00 bob: one\ntwo\n\nfour", hang: 14)
        let chars = StreamLayout.shown(line)
        let rows = StreamLayout.rows(of: line, width: 40).map { String(chars[$0.start..<$0.end]) }
        #expect(rows == ["12:00:00 bob: one", "two", "", "four"])
    }

    @Test func marksAndHighlightsBecomeSpans() {
        let line = StyledText("12:00:00 alice: find me", role: "event.message", marks: [.init(start: 9, count: 5, role: "nick.3")])
        let chars = StreamLayout.shown(line)
        let row = StreamLayout.rows(of: line, width: 80)[0]
        let spans = StreamLayout.spans(of: line, chars: chars, row: row, highlights: StreamLayout.matches(of: "FIND", in: chars))
        #expect(spans.map(\.role) == ["event.message", "nick.3", "event.message", "match", "event.message"])
        #expect(spans.map(\.text).joined() == "12:00:00 alice: find me")
    }
}

@Suite struct ScrollbackTests {
    /// Scrolling moves by rows of wrapped lines; Home shows the oldest line at the top, End follows again.
    @Test func scrollsByRowsHomeAndEnd() {
        var back = Scrollback(capacity: 100)
        for i in 0..<30 { back.append(StyledText("line \(i) " + String(repeating: "w ", count: i % 3 == 0 ? 40 : 2))) }
        let width = 20, height = 10
        let bottom = back.visibleRows(height: height, width: width)
        #expect(bottom.count == height && bottom.last?.number == 29)
        back.scroll(by: 3, height: height, width: width)
        let up = back.visibleRows(height: height, width: width)
        #expect(back.isScrolled && up.count == height)
        #expect(up.last!.number < 29 || up.last!.row.end < bottom.last!.row.end)
        back.scrollToTop(height: height, width: width)
        let top = back.visibleRows(height: height, width: width)
        #expect(top.first?.number == 0 && top.first?.row.start == 0 && top.count == height)
        back.scroll(by: 5, height: height, width: width)  // already at the top: stays
        #expect(back.visibleRows(height: height, width: width).first?.number == 0)
        back.scroll(by: -10_000, height: height, width: width)
        #expect(!back.isScrolled)
        back.scrollToTop(height: height, width: width)
        back.scrollToBottom()
        #expect(back.visibleRows(height: height, width: width).last?.number == 29)
    }

    @Test func searchFindsAndRevealsLines() {
        var back = Scrollback(capacity: 1_000)
        for i in 0..<500 { back.append(StyledText(i % 100 == 7 ? "needle \(i)" : "hay \(i)")) }
        let found = back.search("NEEDLE")
        #expect(found == [7, 107, 207, 307, 407])
        back.reveal(107, height: 20, width: 80)
        let rows = back.visibleRows(height: 20, width: 80)
        #expect(rows.contains { $0.number == 107 })
        #expect(back.isScrolled)
    }
}
