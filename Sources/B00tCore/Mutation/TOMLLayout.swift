/// Where every statement of a TOML source sits, as byte offsets: table headers, `key = value` lines with the
/// exact span of their value, and (on demand) the elements of an array or the entries of an inline table.
/// The in-place editor changes a file by replacing one of these spans, so everything it does not touch —
/// comments, blank lines, key order, quoting style — stays byte for byte as the person wrote it.
///
/// The scan reuses the project's own TOML parser for keys and values, so a span ends exactly where the
/// parser says the value ends (multi-line strings, nested arrays, comments inside arrays included).
struct TOMLLayout {
    /// A `[table]` or `[[array.of.tables]]` line.
    struct Header {
        var path: [String]
        var isArray: Bool
        /// From the start of its line to just after its newline.
        var line: Range<Int>
    }

    /// One `key = value` statement (top level of a section, not inside an inline table).
    struct Assignment {
        /// The dotted key as written (`b00t.desires` in the root section is `["b00t", "desires"]`).
        var key: [String]
        var keyStart: Int
        var value: Range<Int>
        /// From the start of its line to just after its newline (or the end of the file), comment included.
        var line: Range<Int>
    }

    /// The statements under one header (section 0 holds those before any header).
    struct Section {
        var header: Header?
        /// The table path the statements fill; for `[[x]]`, which element is given by `element`.
        var path: [String]
        /// For `[[x]]` sections: 0 for the first `[[x]]` of that path, 1 for the second…
        var element: Int?
        var assignments: [Assignment] = []
        /// Where the next section's header line starts (or the end of the file).
        var end: Int
    }

    let bytes: [UInt8]
    private(set) var sections: [Section] = []

    init(_ bytes: [UInt8]) throws(TOMLSyntaxError) {
        self.bytes = bytes
        try scan()
    }

    // MARK: - Scanning

    private mutating func scan() throws(TOMLSyntaxError) {
        var parser = TOMLParser(bytes)
        var current = Section(header: nil, path: [], element: nil, end: bytes.count)
        var arrayCounts: [[String]: Int] = [:]
        while let b = parser.peek {
            switch b {
            case 0x20, 0x09: parser.advance()
            case 0x0A, 0x0D: _ = try parser.consumeNewline()
            case 0x23: try parser.skipComment()
            case 0x5B:
                let lineStart = Self.lineStart(of: parser.index, in: bytes)
                parser.advance()
                let isArray = parser.peek == 0x5B
                if isArray { parser.advance() }
                let keys = try parser.parseKey().map(\.name)
                parser.skipBlanks()
                guard parser.peek == 0x5D else { throw parser.error("expected ']' to close the table header") }
                parser.advance()
                if isArray {
                    guard parser.peek == 0x5D else { throw parser.error("expected ']]' to close the array-of-tables header") }
                    parser.advance()
                }
                try parser.finishLine(after: "the table header")
                current.end = lineStart
                sections.append(current)
                var element: Int? = nil
                if isArray {
                    element = arrayCounts[keys, default: 0]
                    arrayCounts[keys, default: 0] += 1
                }
                current = Section(header: Header(path: keys, isArray: isArray, line: lineStart..<parser.index),
                                  path: keys, element: element, end: bytes.count)
            default:
                let lineStart = Self.lineStart(of: parser.index, in: bytes)
                let keyStart = parser.index
                let keys = try parser.parseKey().map(\.name)
                guard parser.peek == 0x3D else { throw parser.error("expected '=' after a key") }
                parser.advance()
                parser.skipBlanks()
                let valueStart = parser.index
                _ = try parser.parseValue(depth: current.path.count + keys.count, path: current.path + keys)
                let valueEnd = parser.index
                try parser.finishLine(after: "the value")
                current.assignments.append(Assignment(key: keys, keyStart: keyStart, value: valueStart..<valueEnd,
                                                      line: lineStart..<parser.index))
            }
        }
        current.end = bytes.count
        sections.append(current)
    }

    static func lineStart(of index: Int, in bytes: [UInt8]) -> Int {
        var i = index
        while i > 0, bytes[i - 1] != 0x0A { i -= 1 }
        return i
    }

    // MARK: - Lookup

    /// Where the value of `path` is written, when it is written as one `key = value` (directly, through a
    /// dotted key, or inside inline tables). `[[array]]` elements are not searched: their keys repeat.
    func value(at path: [String]) throws(TOMLSyntaxError) -> Range<Int>? {
        for section in sections where section.element == nil && path.starts(with: section.path) {
            for assignment in section.assignments {
                let full = section.path + assignment.key
                if full == path { return assignment.value }
                if path.count > full.count, path.starts(with: full), bytes[assignment.value.lowerBound] == 0x7B {
                    if let found = try inlineValue(in: assignment.value, path: Array(path.dropFirst(full.count))) {
                        return found
                    }
                }
            }
        }
        return nil
    }

    /// The assignment holding `path` directly (for its line), if it is a plain statement.
    func assignment(at path: [String]) -> Assignment? {
        for section in sections where section.element == nil && path.starts(with: section.path) {
            for assignment in section.assignments where section.path + assignment.key == path { return assignment }
        }
        return nil
    }

    /// Sections defined by a `[header]` for exactly `path` (not array elements).
    func tableSection(_ path: [String]) -> Section? {
        sections.first { $0.header != nil && $0.element == nil && $0.path == path }
    }

    /// Every `[[path]]` section, in order.
    func arraySections(_ path: [String]) -> [Section] {
        sections.filter { $0.element != nil && $0.path == path }
    }

    // MARK: - Inside values

    /// One entry of an inline table: `key = value` between `{` and `}`.
    struct InlineEntry {
        var key: [String]
        var span: Range<Int>
        var value: Range<Int>
    }

    /// The entries of the inline table whose text is `range` (`{ … }`), and where its `}` is.
    func inlineEntries(_ range: Range<Int>) throws(TOMLSyntaxError) -> (entries: [InlineEntry], close: Int) {
        var parser = TOMLParser(bytes)
        parser.index = range.lowerBound
        parser.advance()
        var entries: [InlineEntry] = []
        while true {
            parser.skipBlanks()
            guard let b = parser.peek else { throw parser.error("unclosed inline table") }
            if b == 0x7D { return (entries, parser.index) }
            if b == 0x2C { parser.advance(); continue }
            let start = parser.index
            let keys = try parser.parseKey().map(\.name)
            guard parser.peek == 0x3D else { throw parser.error("expected '=' in an inline table") }
            parser.advance()
            parser.skipBlanks()
            let valueStart = parser.index
            _ = try parser.parseValue(depth: 2, path: keys)
            entries.append(InlineEntry(key: keys, span: start..<parser.index, value: valueStart..<parser.index))
        }
    }

    private func inlineValue(in range: Range<Int>, path: [String]) throws(TOMLSyntaxError) -> Range<Int>? {
        var range = range
        var path = path
        // Bounded: each step consumes at least one key of `path`.
        while !path.isEmpty {
            let (entries, _) = try inlineEntries(range)
            guard let entry = entries.first(where: { path.starts(with: $0.key) }) else { return nil }
            if entry.key == path { return entry.value }
            guard bytes[entry.value.lowerBound] == 0x7B else { return nil }
            path.removeFirst(entry.key.count)
            range = entry.value
        }
        return nil
    }

    /// The elements of the array whose text is `range` (`[ … ]`).
    struct ArrayLayout {
        var elements: [Range<Int>]
        /// Where the comma after each element is, if there is one.
        var commas: [Int?]
        var open: Int
        var close: Int
    }

    func arrayLayout(_ range: Range<Int>) throws(TOMLSyntaxError) -> ArrayLayout {
        var parser = TOMLParser(bytes)
        parser.index = range.lowerBound
        let open = parser.index
        parser.advance()
        var layout = ArrayLayout(elements: [], commas: [], open: open, close: open)
        while true {
            try parser.skipBlanksNewlinesComments()
            guard let b = parser.peek else { throw parser.error("unclosed array") }
            if b == 0x5D {
                layout.close = parser.index
                return layout
            }
            let start = parser.index
            _ = try parser.parseValue(depth: 2, path: [])
            layout.elements.append(start..<parser.index)
            try parser.skipBlanksNewlinesComments()
            if parser.peek == 0x2C {
                layout.commas.append(parser.index)
                parser.advance()
            } else {
                layout.commas.append(nil)
            }
        }
    }

    /// The whitespace that starts the line holding `index`.
    func indentation(ofLineAt index: Int) -> [UInt8] {
        let start = Self.lineStart(of: index, in: bytes)
        var end = start
        while end < bytes.count, bytes[end] == 0x20 || bytes[end] == 0x09 { end += 1 }
        return Array(bytes[start..<end])
    }

    /// True when only blanks stand between the start of its line and `index`.
    func startsLine(_ index: Int) -> Bool {
        var i = index
        while i > 0 {
            let b = bytes[i - 1]
            if b == 0x0A { return true }
            guard b == 0x20 || b == 0x09 else { return false }
            i -= 1
        }
        return true
    }

    /// Just after the newline that ends the line holding `index` (or the end of the file).
    func lineEnd(after index: Int) -> Int {
        var i = index
        while i < bytes.count, bytes[i] != 0x0A { i += 1 }
        return i < bytes.count ? i + 1 : i
    }

    /// The line ending this file uses (CRLF when its first line ends so).
    var newline: [UInt8] {
        guard let lf = bytes.firstIndex(of: 0x0A) else { return [0x0A] }
        return lf > 0 && bytes[lf - 1] == 0x0D ? [0x0D, 0x0A] : [0x0A]
    }
}
