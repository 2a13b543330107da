/// Maps dotted key paths to the line and column where they are written. TOMLKit parses values but keeps no
/// positions, so a light scan of the source text recovers them for error messages.
public struct KeyLocator: Sendable {
    public struct Position: Sendable, Hashable { public var line: Int; public var column: Int }
    private var positions: [String: Position] = [:]

    public init(source: String) {
        var table: [String] = []
        var inMultiline: String? = nil
        var lineNumber = 0
        for rawLine in source.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Substring(rawLine)
            if let delimiter = inMultiline {
                if line.contains(delimiter) { inMultiline = nil }
                continue
            }
            let indent = line.prefix { $0 == " " || $0 == "\t" }.count
            let trimmed = line.dropFirst(indent)
            if trimmed.hasPrefix("[") {
                let isArray = trimmed.hasPrefix("[[")
                let body = trimmed.dropFirst(isArray ? 2 : 1).prefix { $0 != "]" }
                table = Self.splitPath(body)
                let key = table.joined(separator: ".")
                if positions[key] == nil { positions[key] = Position(line: lineNumber, column: indent + 1) }
                continue
            }
            guard let eq = Self.assignmentIndex(trimmed) else { continue }
            let keyPart = trimmed[trimmed.startIndex..<eq]
            let path = table + Self.splitPath(keyPart)
            let key = path.joined(separator: ".")
            if positions[key] == nil { positions[key] = Position(line: lineNumber, column: indent + 1) }
            let value = trimmed[trimmed.index(after: eq)...]
            for delimiter in ["\"\"\"", "'''"] where value.contains(delimiter) {
                if value.components(separatedBy: delimiter).count == 2 { inMultiline = delimiter }
            }
        }
    }

    /// The position of `path`, or of its nearest written ancestor, or line 1.
    public func position(of path: String) -> Position {
        var candidate = path
        while true {
            if let found = positions[candidate] { return found }
            guard let dot = candidate.lastIndex(of: ".") else { return Position(line: 1, column: 1) }
            candidate = String(candidate[..<dot])
        }
    }

    private static func assignmentIndex(_ text: Substring) -> Substring.Index? {
        guard let first = text.first, first.isLetter || first.isNumber || first == "_" || first == "-" || first == "\""
            || first == "'"
        else { return nil }
        var quote: Character? = nil
        for index in text.indices {
            let c = text[index]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "=" {
                return index
            }
        }
        return nil
    }

    static func splitPath(_ text: Substring) -> [String] {
        var parts: [String] = []
        var current = ""
        var quote: Character? = nil
        for c in text {
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "." {
                parts.append(current)
                current = ""
            } else if c != " " && c != "\t" {
                current.append(c)
            }
        }
        parts.append(current)
        return parts
    }
}
