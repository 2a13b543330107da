import Testing
@testable import B00tCore

@Suite struct TerminalTextTests {
    @Test func escapesInsteadOfDropping() {
        #expect(TerminalText.line("role\u{1B}]0;pwned\u{07}\u{1B}[2J") == "role\\e]0;pwned\\u{7}\\e[2J")
        #expect(TerminalText.line("a\nb\rc\td\0e") == "a\\nb\\rc\\td\\0e")
        #expect(TerminalText.line("exe\u{202E}txt.") == "exe\\u{202E}txt.")
        #expect(TerminalText.line("\u{2066}x\u{2069}\u{200F}\u{061C}") == "\\u{2066}x\\u{2069}\\u{200F}\\u{61C}")
        #expect(TerminalText.line("del\u{7F} c1\u{9B}31m nel\u{85}") == "del\\u{7F} c1\\u{9B}31m nel\\u{85}")
        #expect(TerminalText.line("ls\u{2028}ps\u{2029}bom\u{FEFF}") == "ls\\u{2028}ps\\u{2029}bom\\u{FEFF}")
    }

    @Test func blockKeepsNewlinesAndTabsOnly() {
        #expect(TerminalText.block("one\n\ttwo\r\n\u{1B}[31mred") == "one\n\ttwo\\r\n\\e[31mred")
    }

    @Test func plainTextIsUntouchedAndEscapingIsIdempotent() {
        let plain = "redis.process  running  ✓ 日本語 C:\\path é"
        #expect(TerminalText.line(plain) == plain)
        let hostile = "x\u{1B}[2J\u{202E}\n"
        #expect(TerminalText.line(TerminalText.line(hostile)) == TerminalText.line(hostile))
        // A CRLF pair is one Character in Swift; it must still be escaped scalar by scalar.
        #expect(TerminalText.line("a\r\nb") == "a\\r\\nb")
    }
}
