import Foundation

/// Text from learned files on its way to a terminal: control characters (ESC among them) become visible
/// `\u{…}` escapes so a chunk can never move the cursor or change colours.
public enum TerminalText {
    public static func safe(_ text: String, oneLine: Bool = false) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n", "\t":
                out.unicodeScalars.append(oneLine ? " " : scalar)
            case "\r":
                if oneLine { out.append(" ") }
            default:
                let category = scalar.properties.generalCategory
                if category == .control || category == .format && scalar.value == 0x202E {
                    out += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// The first `length` characters on one line, spaces collapsed, with an ellipsis when cut.
    public static func preview(_ text: String, length: Int = 160) -> String {
        let line = safe(text, oneLine: true).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        return line.count > length ? String(line.prefix(length)) + "…" : line
    }

    /// `ask`/`advice` hits as text lines: rank, score, topic and source, then the start of the chunk.
    public static func hitLines(_ hits: [GrokHit]) -> [String] {
        var lines: [String] = []
        for (index, hit) in hits.enumerated() {
            let score = String(format: "%.3f", hit.score)
            let cosine = hit.cosine.map { String(format: " cos %.3f", $0) } ?? ""
            let source = hit.chunk.source.isEmpty ? "" : "  \(safe(hit.chunk.source, oneLine: true))#\(hit.chunk.chunkIndex)"
            lines.append("\(index + 1). [\(safe(hit.chunk.topic, oneLine: true))] score \(score)\(cosine)\(source)")
            lines.append("   " + preview(hit.chunk.content))
        }
        return lines
    }
}
