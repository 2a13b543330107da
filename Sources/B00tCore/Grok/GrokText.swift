import Foundation

/// Text from learned files on its way to a terminal: control characters (ESC among them) become visible
/// escapes so a chunk can never move the cursor or change colours; hits as lines for `ask` and `advice`.
public enum GrokText {
    /// Escaped for a terminal (the shared `TerminalText` rules); `oneLine` turns line breaks into spaces first.
    public static func safe(_ text: String, oneLine: Bool = false) -> String {
        guard oneLine else { return TerminalText.block(text) }
        let flat = String(text.unicodeScalars.map { $0 == "\n" || $0 == "\t" || $0 == "\r" ? " " : Character($0) })
        return TerminalText.line(flat)
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
