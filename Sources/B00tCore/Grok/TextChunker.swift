/// Cuts text into chunks as it streams in, line by line: a Markdown heading starts a new chunk, blank lines end
/// paragraphs, paragraphs are packed into chunks of about `target` characters, and a paragraph longer than that
/// is cut into windows that overlap by `overlap` characters (at a space when one is near). Pieces shorter than
/// `minimum` characters are dropped. Memory stays bounded by `target` plus one line, whatever the input's size.
public struct TextChunker {
    public var target = 1_000
    public var overlap = 50
    public var minimum = 10
    private var current: [Character] = []
    private var paragraph: [Character] = []
    private let emit: (String) throws -> Void

    public init(target: Int = 1_000, overlap: Int = 50, minimum: Int = 10, emit: @escaping (String) throws -> Void) {
        self.target = max(50, target)
        self.overlap = min(max(0, overlap), self.target / 2)
        self.minimum = minimum
        self.emit = emit
    }

    /// Whole text at once (tests, `digest`).
    public static func chunks(of text: String, target: Int = 1_000, overlap: Int = 50, minimum: Int = 10) -> [String] {
        var out: [String] = []
        var chunker = TextChunker(target: target, overlap: overlap, minimum: minimum) { out.append($0) }
        // The closure cannot throw, so neither can these.
        try? text.split(separator: "\n", omittingEmptySubsequences: false).forEach { try chunker.feed(line: String($0)) }
        try? chunker.finish()
        return out
    }

    public mutating func feed(line raw: String) throws {
        let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        if trimmed.isEmpty {
            try endParagraph()
            return
        }
        if Self.isHeading(trimmed) {
            try endParagraph()
            try flush()
        }
        if !paragraph.isEmpty { paragraph.append("\n") }
        paragraph.append(contentsOf: line)
        while paragraph.count > target { try cutWindow() }
    }

    public mutating func finish() throws {
        try endParagraph()
        try flush()
    }

    private static func isHeading(_ line: Substring) -> Bool {
        let hashes = line.prefix { $0 == "#" }
        guard (1...6).contains(hashes.count) else { return false }
        let rest = line.dropFirst(hashes.count)
        return rest.isEmpty || rest.first == " "
    }

    private mutating func endParagraph() throws {
        guard !paragraph.isEmpty else { return }
        if !current.isEmpty, current.count + 2 + paragraph.count > target { try flush() }
        if !current.isEmpty { current.append(contentsOf: "\n\n") }
        current.append(contentsOf: paragraph)
        paragraph.removeAll(keepingCapacity: true)
    }

    /// Emits the first `target` characters of an over-long paragraph and keeps the rest, plus an overlap.
    private mutating func cutWindow() throws {
        try flush()
        var cut = target
        if let space = paragraph[(target - min(200, target / 4))..<target].lastIndex(where: { $0 == " " || $0 == "\n" }) {
            cut = space
        }
        try send(paragraph[0..<cut])
        var start = max(0, cut - overlap)
        // Start the overlap at a word when one begins inside it.
        if let space = paragraph[start..<cut].firstIndex(where: { $0 == " " || $0 == "\n" }), space + 1 < cut { start = space + 1 }
        paragraph.removeSubrange(0..<start)
    }

    private mutating func flush() throws {
        guard !current.isEmpty else { return }
        try send(current[...])
        current.removeAll(keepingCapacity: true)
    }

    private func send(_ characters: ArraySlice<Character>) throws {
        let text = String(characters).trimmingWhitespace()
        if text.count >= minimum { try emit(text) }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
