/// One problem found while reading a datum: where it is (file, line, column, key), what is wrong and how
/// to fix it. Errors keep a datum out of the catalog; warnings do not (unless `--strict`).
public struct DatumDiagnostic: Error, Hashable, Sendable, Codable, CustomStringConvertible {
    public enum Severity: String, Hashable, Sendable, Codable { case error, warning }

    public var severity: Severity
    public var file: String
    public var line: Int
    public var column: Int
    /// Dotted key path (`b00t.health_check.timeout_ms`), or nil for file-level problems.
    public var key: String?
    public var message: String
    public var hint: String?

    public init(
        severity: Severity, file: String, line: Int, column: Int, key: String?, message: String, hint: String? = nil
    ) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
        self.hint = hint
    }

    public var isError: Bool { severity == .error }

    public var description: String {
        var text = "\(file):\(line):\(column): \(severity.rawValue): "
        if let key { text += "key '\(key)': " }
        text += message
        if let hint { text += " (\(hint))" }
        return text
    }
}
