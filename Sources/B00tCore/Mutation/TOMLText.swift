/// TOML text for the values a mutation writes: strings (one line, or several in a `"""` block), bare or quoted
/// keys, and inline usage tables. Every string the editor writes goes through here, so whatever a proposal
/// carries (quotes, backslashes, control characters, `"""`) reads back as exactly that string.
enum TOMLText {
    /// `"…"` with escapes; a text with newlines becomes a `"""` block (its first line break right after the
    /// opening quotes, which TOML drops).
    static func string(_ text: String) -> String {
        text.contains("\n") ? multiline(text) : basic(text)
    }

    static func basic(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default: appendEscapingControls(scalar, to: &out)
            }
        }
        return out + "\""
    }

    static func multiline(_ text: String) -> String {
        var out = "\"\"\"\n"
        var quotes = 0
        for scalar in text.unicodeScalars {
            if scalar == "\"" {
                // Never three quotes in a row: that would close the string.
                if quotes == 2 {
                    out += "\\\""
                    quotes = 0
                } else {
                    out += "\""
                    quotes += 1
                }
                continue
            }
            quotes = 0
            switch scalar {
            case "\\": out += "\\\\"
            case "\n", "\t": out.unicodeScalars.append(scalar)
            case "\r": out += "\\r"
            default: appendEscapingControls(scalar, to: &out)
            }
        }
        // Quotes right before the closing delimiter are fine up to two; more were escaped above.
        return out + "\"\"\""
    }

    private static func appendEscapingControls(_ scalar: Unicode.Scalar, to out: inout String) {
        if scalar.value < 0x20 || scalar.value == 0x7F {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
            out.unicodeScalars.append(scalar)
        }
    }

    /// A key as TOML wants it: bare when it can be, quoted otherwise.
    static func key(_ name: String) -> String {
        !name.isEmpty && name.utf8.allSatisfy(TOMLParser.isBareKeyByte) ? name : basic(name)
    }

    /// `{ description = "…", command = "…" }`, keys in the order given.
    static func usageTable(_ example: UsageExample, commandFirst: Bool = false) -> String {
        let description = "description = \(basic(example.description))"
        let command = "command = \(basic(example.command))"
        return "{ " + (commandFirst ? "\(command), \(description)" : "\(description), \(command)") + " }"
    }

    /// The original tool's string form, `"command # description"`.
    static func usageString(_ example: UsageExample) -> String {
        basic(example.description.isEmpty ? example.command : "\(example.command) # \(example.description)")
    }
}
