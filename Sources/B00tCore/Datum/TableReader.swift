/// Reads typed fields out of one TOML table and records, against the file's key positions, every wrong type,
/// near-miss key ("did you mean") and unknown key. Reads never throw: a bad field is reported and skipped so
/// one mistake does not hide the next.
final class TableReader {
    let values: [String: DatumValue]
    let path: String
    private let context: DecodingContext
    private var consumed: Set<String> = []

    init(_ values: [String: DatumValue], path: String, context: DecodingContext) {
        self.values = values
        self.path = path
        self.context = context
    }

    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func has(_ key: String) -> Bool { values[key] != nil }

    func raw(_ key: String) -> DatumValue? {
        consumed.insert(key)
        return values[key]
    }

    func report(_ key: String, _ message: String, hint: String? = nil) {
        context.report(.error, key: keyPath(key), message, hint: hint)
    }

    func typeError(_ key: String, expected: String, found: DatumValue) {
        context.report(.error, key: keyPath(key), "expected \(expected), found \(found.typeName)",
                       hint: "write it as \(expected)")
    }

    func string(_ key: String) -> String? {
        guard let value = raw(key) else { return nil }
        if case .string(let s) = value { return s }
        typeError(key, expected: "a string", found: value)
        return nil
    }

    func int(_ key: String) -> Int? {
        guard let value = raw(key) else { return nil }
        if case .int(let i) = value { return i }
        typeError(key, expected: "an integer", found: value)
        return nil
    }

    func bool(_ key: String) -> Bool? {
        guard let value = raw(key) else { return nil }
        if case .bool(let b) = value { return b }
        typeError(key, expected: "a boolean (true or false)", found: value)
        return nil
    }

    func number(_ key: String) -> Double? {
        guard let value = raw(key) else { return nil }
        switch value {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default:
            typeError(key, expected: "a number", found: value)
            return nil
        }
    }

    func stringArray(_ key: String) -> [String]? {
        guard let value = raw(key) else { return nil }
        guard case .array(let items) = value else {
            typeError(key, expected: "an array of strings", found: value)
            return nil
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let s) = item else {
                context.report(.error, key: "\(keyPath(key))[\(index)]", "expected a string, found \(item.typeName)",
                               hint: "quote it: \"…\"")
                return nil
            }
            result.append(s)
        }
        return result
    }

    func stringTable(_ key: String) -> [String: String]? {
        guard let value = raw(key) else { return nil }
        guard case .table(let table) = value else {
            typeError(key, expected: "a table of strings", found: value)
            return nil
        }
        var result: [String: String] = [:]
        for (name, item) in table {
            switch item {
            case .string(let s): result[name] = s
            case .int(let i): result[name] = String(i)
            case .bool(let b): result[name] = String(b)
            default:
                context.report(.error, key: "\(keyPath(key)).\(name)", "expected a string, found \(item.typeName)",
                               hint: "environment values are strings")
            }
        }
        return result
    }

    func subtable(_ key: String) -> TableReader? {
        guard let value = raw(key) else { return nil }
        guard case .table(let table) = value else {
            typeError(key, expected: "a table", found: value)
            return nil
        }
        return TableReader(table, path: keyPath(key), context: context)
    }

    /// Reports every key nobody read: a near miss of a known key is an error ("did you mean"), anything else a
    /// warning, since datum folders from the original tool carry keys this tool does not use.
    func finish(known: [String]) {
        for key in values.keys.sorted() where !consumed.contains(key) {
            if let suggestion = closestMatch(to: key, in: known) {
                context.report(.error, key: keyPath(key), "unknown key", hint: "did you mean '\(suggestion)'?")
            } else {
                context.report(.warning, key: keyPath(key), "unknown key, ignored",
                               hint: "known keys here: \(known.sorted().joined(separator: ", "))")
            }
        }
    }
}

/// What one file's decoding has found so far, positioned by its key locator.
final class DecodingContext {
    let file: String
    /// Where each key was written, recorded by the parser.
    private let document: TOMLDocument
    private(set) var diagnostics: [DatumDiagnostic] = []

    init(file: String, document: TOMLDocument) {
        self.file = file
        self.document = document
    }

    func report(_ severity: DatumDiagnostic.Severity, key: String?, _ message: String, hint: String? = nil) {
        let position = key.map { document.position(of: Self.stripIndices($0)) } ?? TOMLPosition(line: 1, column: 1)
        diagnostics.append(DatumDiagnostic(
            severity: severity, file: file, line: position.line, column: position.column, key: key,
            message: message, hint: hint))
    }

    var hasErrors: Bool { diagnostics.contains { $0.isError } }

    private static func stripIndices(_ key: String) -> String {
        guard key.contains("[") else { return key }
        var result = ""
        var skipping = false
        for c in key {
            if c == "[" { skipping = true } else if c == "]" { skipping = false } else if !skipping { result.append(c) }
        }
        return result
    }
}
