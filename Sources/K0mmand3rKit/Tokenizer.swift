/// Splits a REPL line into words: whitespace separates, "double" and 'single' quotes group, backslash
/// escapes the next character. Nothing is ever handed to a shell.
public enum Tokenizer {
    public static func split(_ line: String) throws(ReplError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        for c in line {
            if escaped {
                current.append(c)
                escaped = false
                continue
            }
            if c == "\\" && quote != "'" {
                escaped = true
                inWord = true
                continue
            }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "\"" || c == "'" {
                quote = c
                inWord = true
            } else if c.isWhitespace {
                if inWord { words.append(current); current = ""; inWord = false }
            } else {
                current.append(c)
                inWord = true
            }
        }
        if let q = quote { throw .usage("unclosed \(q) quote") }
        if inWord || escaped { words.append(current) }
        return words
    }
}
