/// One line of a health report (`b00t bus doctor`, `b00t doctor`): what was checked, how it went, and what to
/// do about it. `name` is stable for scripts (`--json`).
public struct DoctorCheck: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case ok, warn, fail
        public var glyph: String {
            switch self {
            case .ok: return "✓"
            case .warn: return "⚠"
            case .fail: return "✗"
            }
        }
    }

    public var name: String
    public var status: Status
    public var summary: String
    public var fix: String?

    public init(_ name: String, _ status: Status, _ summary: String, fix: String? = nil) {
        self.name = name
        self.status = status
        self.summary = summary
        self.fix = fix
    }

    /// `✓ summary` or `⚠ summary — fix`.
    public var line: String { "\(status.glyph) \(summary)" + (fix.map { " — \($0)" } ?? "") }
}
