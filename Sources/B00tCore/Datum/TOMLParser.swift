/// A TOML 1.0 parser over UTF-8 bytes, written for hostile input: every error is a `TOMLSyntaxError` with a
/// line and column, nesting is bounded, and nothing in it can trap. It replaces toml++ for datums because
/// toml++ aborts the whole process (a C++ assertion) on inputs as small as `[[[`.
///
/// This file holds the document structure (lines, headers, keys, the table rules); values are in
/// `TOMLParser+Values.swift`.
struct TOMLParser {
    struct Key {
        var name: String
        var position: TOMLPosition
    }

    let bytes: [UInt8]
    var index = 0
    var line = 1
    var column = 1
    var positions: [String: TOMLPosition] = [:]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    // MARK: - Reading bytes

    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

    func peek(at offset: Int) -> UInt8? {
        let i = index + offset
        return i < bytes.count ? bytes[i] : nil
    }

    var position: TOMLPosition { TOMLPosition(line: line, column: column) }

    mutating func advance() {
        let b = bytes[index]
        index += 1
        if b == 0x0A {
            line += 1
            column = 1
        } else if b & 0xC0 != 0x80 {
            column += 1
        }
    }

    func error(_ message: String, at position: TOMLPosition? = nil) -> TOMLSyntaxError {
        let at = position ?? self.position
        return TOMLSyntaxError(line: at.line, column: at.column, message: message)
    }

    /// The character at the cursor, as an error message names it.
    var currentDescription: String {
        guard let b = peek else { return "end of file" }
        return Self.describe(byteAt: index, in: bytes, leading: b)
    }

    static func describe(byteAt index: Int, in bytes: [UInt8], leading b: UInt8) -> String {
        switch b {
        case 0x00: return "NUL byte (U+0000)"
        case 0x0A: return "end of line"
        case 0x09: return "tab"
        case 0x01..<0x20, 0x7F: return "control character U+\(hex(UInt32(b), width: 4))"
        case 0x20..<0x7F: return "'\(Character(Unicode.Scalar(b)))'"
        default:
            var end = index + 1
            while end < bytes.count, bytes[end] & 0xC0 == 0x80, end - index < 4 { end += 1 }
            let text = String(decoding: bytes[index..<end], as: UTF8.self)
            guard let scalar = text.unicodeScalars.first else { return "byte 0x\(hex(UInt32(b), width: 2))" }
            return "U+\(hex(scalar.value, width: 4))"
        }
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    static func isBareKeyByte(_ b: UInt8) -> Bool {
        (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F || b == 0x2D
    }

    // MARK: - Whitespace, comments, line ends

    mutating func skipBlanks() {
        while let b = peek, b == 0x20 || b == 0x09 { advance() }
    }

    /// Skips a `#` comment up to (not including) the newline; control characters in it are refused.
    mutating func skipComment() throws(TOMLSyntaxError) {
        guard peek == 0x23 else { return }
        advance()
        while let b = peek, b != 0x0A {
            if b == 0x0D, peek(at: 1) == 0x0A { return }
            if (b < 0x20 && b != 0x09) || b == 0x7F {
                throw error("\(currentDescription) is not allowed in a comment")
            }
            advance()
        }
    }

    /// Consumes one newline (LF or CRLF). Returns false at end of file.
    mutating func consumeNewline() throws(TOMLSyntaxError) -> Bool {
        guard let b = peek else { return false }
        if b == 0x0A { advance(); return true }
        if b == 0x0D {
            guard peek(at: 1) == 0x0A else { throw error("a carriage return must be followed by a newline") }
            advance(); advance()
            return true
        }
        throw error("expected the end of the line, found \(currentDescription)")
    }

    /// Blanks, an optional comment, then a newline or the end of the file.
    mutating func finishLine(after what: String) throws(TOMLSyntaxError) {
        skipBlanks()
        try skipComment()
        guard let b = peek, b != 0x0A, b != 0x0D else {
            _ = try consumeNewline()
            return
        }
        throw error("expected a newline after \(what), found \(currentDescription)")
    }

    /// Blanks, newlines and comments (inside arrays).
    mutating func skipBlanksNewlinesComments() throws(TOMLSyntaxError) {
        while let b = peek {
            switch b {
            case 0x20, 0x09: advance()
            case 0x0A, 0x0D: _ = try consumeNewline()
            case 0x23: try skipComment()
            default: return
            }
        }
    }

    // MARK: - Document

    mutating func parseDocument() throws(TOMLSyntaxError) -> TOMLDocument {
        guard bytes.count <= TOMLLimits.maximumBytes else {
            throw TOMLSyntaxError(line: 1, column: 1, message:
                "the file is \(bytes.count) bytes; TOML files read by b00t are limited to \(TOMLLimits.maximumBytes) bytes")
        }
        let root = TOMLTableNode(origin: .header, depth: 0)
        var current = root
        var currentPath: [String] = []
        while let b = peek {
            switch b {
            case 0x20, 0x09: advance()
            case 0x0A, 0x0D: _ = try consumeNewline()
            case 0x23: try skipComment()
            case 0x5B:
                (current, currentPath) = try parseHeader(root: root)
                try finishLine(after: "the table header")
            case 0x22, 0x27:
                try parseKeyValue(into: current, path: currentPath)
                try finishLine(after: "the value")
            default:
                guard Self.isBareKeyByte(b) else {
                    throw error("unexpected \(currentDescription); expected a key, a [table] header or a # comment")
                }
                try parseKeyValue(into: current, path: currentPath)
                try finishLine(after: "the value")
            }
        }
        return TOMLDocument(root: root.value(), positions: positions)
    }

    // MARK: - Keys

    /// A dotted key: `a`, `a.b`, `"quoted".'literal'`, with blanks around the dots.
    mutating func parseKey() throws(TOMLSyntaxError) -> [Key] {
        var keys: [Key] = []
        while true {
            skipBlanks()
            let start = position
            guard let b = peek else { throw error("expected a key, found end of file") }
            let name: String
            if Self.isBareKeyByte(b) {
                let from = index
                while let c = peek, Self.isBareKeyByte(c) { advance() }
                name = String(decoding: bytes[from..<index], as: UTF8.self)
            } else if b == 0x22 {
                if peek(at: 1) == 0x22, peek(at: 2) == 0x22 { throw error("a key cannot be a multi-line string") }
                name = try parseBasicString()
            } else if b == 0x27 {
                if peek(at: 1) == 0x27, peek(at: 2) == 0x27 { throw error("a key cannot be a multi-line string") }
                name = try parseLiteralString()
            } else {
                throw error("expected a key, found \(currentDescription)")
            }
            keys.append(Key(name: name, position: start))
            guard keys.count <= TOMLLimits.maximumDepth else {
                throw error("a key with more than \(TOMLLimits.maximumDepth) dotted parts is not supported", at: start)
            }
            skipBlanks()
            guard peek == 0x2E else { return keys }
            advance()
        }
    }

    mutating func record(_ path: [String], _ position: TOMLPosition) {
        let key = path.joined(separator: ".")
        if positions[key] == nil { positions[key] = position }
    }

    func firstDefinition(_ path: [String]) -> String {
        positions[path.joined(separator: ".")].map { " (first defined at line \($0.line))" } ?? ""
    }

    static func display(_ path: [String]) -> String {
        path.map { name in
            name.utf8.allSatisfy(isBareKeyByte) && !name.isEmpty ? name : "\"\(name)\""
        }.joined(separator: ".")
    }

    // MARK: - Headers

    /// `[a.b]` or `[[a.b]]`: the table that the following key/value lines fill, and its path.
    mutating func parseHeader(root: TOMLTableNode) throws(TOMLSyntaxError) -> (TOMLTableNode, [String]) {
        let start = position
        advance()
        let isArray = peek == 0x5B
        if isArray { advance() }
        let keys = try parseKey()
        skipBlanks()
        guard peek == 0x5D else {
            throw error("expected ']' to close the table header, found \(currentDescription)")
        }
        advance()
        if isArray {
            guard peek == 0x5D else {
                throw error("expected ']]' to close the array-of-tables header, found \(currentDescription)")
            }
            advance()
        }
        var node = root
        var path: [String] = []
        for (n, key) in keys.enumerated() {
            path.append(key.name)
            let last = n == keys.count - 1
            let shown = Self.display(path)
            switch node.entries[key.name] {
            case nil:
                let child = try makeChild(of: node, origin: last ? .header : .implicit, at: key.position)
                node.entries[key.name] = last && isArray ? .tables([child]) : .table(child)
                record(path, last ? start : key.position)
                node = child
            case .table(let table)?:
                if last {
                    if isArray {
                        throw error("[[\(shown)]]: \(shown) is already a table\(firstDefinition(path)), not an array of tables", at: start)
                    }
                    switch table.origin {
                    case .implicit: table.origin = .header
                    case .header: throw error("table [\(shown)] is defined twice\(firstDefinition(path))", at: start)
                    case .dotted:
                        throw error("table [\(shown)] was already defined by dotted keys\(firstDefinition(path)); add its keys there", at: start)
                    }
                }
                node = table
            case .tables(let tables)?:
                if last {
                    guard isArray else {
                        throw error("[\(shown)]: \(shown) is an array of tables\(firstDefinition(path)); write [[\(shown)]] to add one", at: start)
                    }
                    let child = try makeChild(of: node, origin: .header, at: key.position)
                    node.entries[key.name] = .tables(tables + [child])
                    node = child
                } else {
                    guard let lastTable = tables.last else { throw error("\(shown) is an empty array of tables", at: key.position) }
                    node = lastTable
                }
            case .value(let value)?:
                throw error("\(shown) already holds \(value.typeName)\(firstDefinition(path)); it cannot also be a table", at: key.position)
            }
        }
        return (node, path)
    }

    func makeChild(of node: TOMLTableNode, origin: TOMLTableNode.Origin, at position: TOMLPosition) throws(TOMLSyntaxError) -> TOMLTableNode {
        guard node.depth < TOMLLimits.maximumDepth else {
            throw error("tables nested more than \(TOMLLimits.maximumDepth) levels deep are not supported", at: position)
        }
        return TOMLTableNode(origin: origin, depth: node.depth + 1)
    }

    // MARK: - Key/value pairs

    /// `key = value` into `table` (whose path is `path`), creating dotted-key tables on the way.
    mutating func parseKeyValue(into table: TOMLTableNode, path: [String]) throws(TOMLSyntaxError) {
        let keys = try parseKey()
        guard peek == 0x3D else {
            throw error("expected '=' after the key \(Self.display(keys.map(\.name))), found \(currentDescription)")
        }
        advance()
        skipBlanks()
        var node = table
        var full = path
        for key in keys.dropLast() {
            full.append(key.name)
            let shown = Self.display(full)
            switch node.entries[key.name] {
            case nil:
                let child = try makeChild(of: node, origin: .dotted, at: key.position)
                node.entries[key.name] = .table(child)
                record(full, keys[0].position)
                node = child
            case .table(let existing)? where existing.origin == .dotted || existing.origin == .implicit:
                // An implicit table (parent of a later header) may be filled by dotted keys once; after that
                // its own [header] would define it twice.
                existing.origin = .dotted
                node = existing
            case .table?:
                throw error("\(shown) is a table defined by a [header]\(firstDefinition(full)); dotted keys cannot add to it", at: key.position)
            case .tables?:
                throw error("\(shown) is an array of tables\(firstDefinition(full)); dotted keys cannot add to it", at: key.position)
            case .value(let value)?:
                throw error("\(shown) already holds \(value.typeName)\(firstDefinition(full)); it cannot also be a table", at: key.position)
            }
        }
        guard let last = keys.last else { throw error("expected a key") }
        full.append(last.name)
        if node.entries[last.name] != nil {
            throw error("duplicate key \(Self.display(full))\(firstDefinition(full))", at: last.position)
        }
        record(full, keys[0].position)
        let value = try parseValue(depth: node.depth + 1, path: full)
        node.entries[last.name] = .value(value)
    }
}
