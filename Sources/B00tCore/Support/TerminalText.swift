/// Makes text from datums, service logs and the bus safe to print on a terminal. Escape sequences (a datum
/// hint or an agent's role holding `ESC ]0;…` or `ESC [2J`), other C0/C1 controls, DEL, bidi overrides and
/// isolates (U+202E turns `exe.txt` into `txt.exe`) and, in single-line fields, line breaks could rewrite
/// the screen or forge whole lines. They are escaped, never dropped, so a reader still sees that they were
/// there: `\e`, `\n`, `\r`, `\t`, `\0`, and `\u{202E}` for the rest.
///
/// Backslashes are left alone: the output is for people (`--json` is exact), and it keeps the function
/// idempotent, so text escaped twice (in B00tCore and again at a terminal layer) reads the same.
public enum TerminalText {
    /// One line: every control character, including newline and tab, is escaped.
    public static func line(_ text: String) -> String { escape(text, keepNewlines: false) }

    /// Several lines (log tails, Markdown, error messages): `\n` and `\t` stay, everything else is escaped.
    public static func block(_ text: String) -> String { escape(text, keepNewlines: true) }

    static func escape(_ text: String, keepNewlines: Bool) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if keepNewlines, scalar == "\n" || scalar == "\t" {
                out.append(scalar)
                continue
            }
            guard needsEscape(scalar) else {
                out.append(scalar)
                continue
            }
            let replacement: String
            switch scalar.value {
            case 0x1B: replacement = "\\e"
            case 0x0A: replacement = "\\n"
            case 0x0D: replacement = "\\r"
            case 0x09: replacement = "\\t"
            case 0x00: replacement = "\\0"
            default: replacement = "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
            out.append(contentsOf: replacement.unicodeScalars)
        }
        return String(out)
    }

    /// C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates and marks, line and paragraph
    /// separators, and the byte order mark.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        case 0x2028, 0x2029, 0xFEFF: return true
        default: return false
        }
    }
}
