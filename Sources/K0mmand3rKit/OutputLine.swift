/// One line of REPL output with the theme role it is drawn in (`ok`, `error`, `event.ahoy`, …).
public struct OutputLine: Equatable, Sendable {
    public var text: String
    public var role: String

    public init(_ text: String, role: String = "text") {
        self.text = text
        self.role = role
    }

    public static func ok(_ text: String) -> OutputLine { OutputLine(text, role: "ok") }
    public static func error(_ text: String) -> OutputLine { OutputLine(text, role: "error") }
    public static func warn(_ text: String) -> OutputLine { OutputLine(text, role: "warn") }
    public static func title(_ text: String) -> OutputLine { OutputLine(text, role: "title") }
    public static func dim(_ text: String) -> OutputLine { OutputLine(text, role: "dim") }
}

/// What running one line did, for whoever drives the session (TUI, line mode, replay).
public struct CommandOutcome: Sendable, Equatable {
    public var lines: [OutputLine] = []
    public var failed = false
    public var quit = false
    public var clear = false
    public var theme: String? = nil
    public var pane: String? = nil
    /// The command needs a yes from the person first: ask `question`, run `command` on yes.
    public var confirm: Confirmation? = nil

    public init(lines: [OutputLine] = [], failed: Bool = false) {
        self.lines = lines
        self.failed = failed
    }

    public var text: String { lines.map(\.text).joined(separator: "\n") }

    static func error(_ message: String) -> CommandOutcome {
        CommandOutcome(lines: [.error("error: \(message)")], failed: true)
    }
}

/// A question to put to the person before a risky command runs.
public struct Confirmation: Sendable, Equatable {
    public var question: String
    /// What runs on yes (with its own `--yes`).
    public var command: String
    /// How the person typed it, for "not done: …".
    public var shown: String
    public init(question: String, command: String, shown: String? = nil) {
        self.question = question
        self.command = command
        self.shown = shown ?? command
    }
}
