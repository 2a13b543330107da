/// A parsed TOML document: plain `DatumValue`s plus where every key was written, so error messages can name
/// the line and column of any key (including keys inside inline tables and arrays of tables).
public struct TOMLDocument: Sendable {
    public var root: [String: DatumValue]
    /// First position of every dotted key path, array indices left out (`b00t.usage.command`).
    public var positions: [String: TOMLPosition]

    /// The position of `path`, or of its nearest written ancestor, or line 1.
    public func position(of path: String) -> TOMLPosition {
        var candidate = Substring(path)
        while true {
            if let found = positions[String(candidate)] { return found }
            guard let dot = candidate.lastIndex(of: ".") else { return TOMLPosition(line: 1, column: 1) }
            candidate = candidate[..<dot]
        }
    }

    /// Parses `text` (TOML 1.0). Never traps and never recurses without bound: nesting deeper than
    /// `TOMLLimits.maximumDepth` and documents larger than `TOMLLimits.maximumBytes` are syntax errors.
    public static func parse(_ text: String) throws(TOMLSyntaxError) -> TOMLDocument {
        var parser = TOMLParser(Array(text.utf8))
        return try parser.parseDocument()
    }
}

/// A 1-based line and column (columns count Unicode scalars, as editors do).
public struct TOMLPosition: Hashable, Sendable {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}

/// Bounds that keep a hostile document from exhausting the stack or memory.
public enum TOMLLimits {
    /// Datums, themes and policies are a few KiB; anything this large is a mistake or an attack.
    public static let maximumBytes = 1 << 20
    /// Tables, dotted keys, arrays and inline tables nested deeper than this are refused.
    public static let maximumDepth = 64
}

/// Why a document is not valid TOML, with the position to look at.
public struct TOMLSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
