import Foundation

/// grok's answers as terminal text: every piece that came from a learned file or a lesson goes through
/// `TerminalText` (escape sequences, controls and bidi overrides escaped) before it is shown.
public enum GrokText {
    /// The first `length` characters on one line, spaces collapsed, with an ellipsis when cut.
    public static func preview(_ text: String, length: Int = 160) -> String {
        let flat = text.replacingOccurrences(of: "\r\n", with: " ").map { $0 == "\n" || $0 == "\t" || $0 == "\r" ? " " : $0 }
        let line = String(flat).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        let cut = line.count > length ? String(line.prefix(length)) + "…" : line
        return TerminalText.line(cut)
    }

    /// `ask`/`advice` hits as text lines: rank, topic, score (and cosine) and source, then the start of the chunk.
    public static func hitLines(_ hits: [GrokHit]) -> [String] {
        var lines: [String] = []
        for (index, hit) in hits.enumerated() {
            let score = String(format: "%.3f", hit.score)
            let cosine = hit.cosine.map { String(format: " cos %.3f", $0) } ?? ""
            let source = hit.chunk.source.isEmpty ? "" : "  \(TerminalText.line(hit.chunk.source))#\(hit.chunk.chunkIndex)"
            lines.append("\(index + 1). [\(TerminalText.line(hit.chunk.topic))] score \(score)\(cosine)\(source)")
            lines.append("   " + preview(hit.chunk.content))
        }
        return lines
    }
}
