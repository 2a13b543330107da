/// Text in a theme role (`ok`, `error`, `event.ahoy`, …): a line of command output, a line of the crew stream
/// (indented under the conversation it answers), or a run of a screen row. One type from the session to the
/// screen, so nothing is converted on the way.
public struct StyledText: Equatable, Sendable {
    public var text: String
    public var role: String
    /// Threads: a reply is drawn indented under its conversation.
    public var indent: Int
    /// Soft-wrapped rows after the first start this many columns further in: under the text, past the time and
    /// the speaker (a hanging indent).
    public var hang: Int = 0
    /// Parts of `text` drawn in another role (a speaker's own colour), by character offset.
    public var marks: [Mark] = []

    public init(_ text: String, role: String = "text", indent: Int = 0, hang: Int = 0, marks: [Mark] = []) {
        self.text = text
        self.role = role
        self.indent = indent
        self.hang = hang
        self.marks = marks
    }

    /// `count` characters of the text from `start` drawn in `role`.
    public struct Mark: Equatable, Sendable {
        public var start: Int
        public var count: Int
        public var role: String
        public init(start: Int, count: Int, role: String) {
            self.start = start
            self.count = count
            self.role = role
        }
    }

    public static func ok(_ text: String) -> StyledText { StyledText(text, role: "ok") }
    public static func error(_ text: String) -> StyledText { StyledText(text, role: "error") }
    public static func warn(_ text: String) -> StyledText { StyledText(text, role: "warn") }
    public static func title(_ text: String) -> StyledText { StyledText(text, role: "title") }
    public static func dim(_ text: String) -> StyledText { StyledText(text, role: "dim") }
}

/// What a command asks of the front end besides printing: applied by the TUI, line mode or a replay.
public enum Effect: Sendable, Equatable {
    case quit
    case clear
    case setTheme(Theme)
    /// Show or hide a pane; nil: cycle the layout.
    case togglePane(Pane?)
    /// A service this command acted on (the services pane follows it).
    case touched(String)
    /// Ask the person first; run `command` on yes.
    case confirm(Confirmation)
    /// Find text in the stream and jump to the newest match; nil clears the search.
    case search(String?)
    /// Mouse reporting on or off; nil toggles.
    case mouse(Bool?)
}

/// What running one line did, for whoever drives the session (TUI, line mode, replay).
public struct CommandOutcome: Sendable, Equatable {
    public var lines: [StyledText] = []
    public var failed = false
    public var effects: [Effect] = []

    public init(lines: [StyledText] = [], failed: Bool = false, effects: [Effect] = []) {
        self.lines = lines
        self.failed = failed
        self.effects = effects
    }

    public var quit: Bool { effects.contains(.quit) }

    /// The question to ask before the command runs, if any.
    public var confirmation: Confirmation? {
        for effect in effects { if case .confirm(let question) = effect { return question } }
        return nil
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

    /// A typed answer (line mode) that means yes: `y` or `yes`, in any case. Anything else declines — "yellow"
    /// or a chat line typed on by mistake must not stop a daemon.
    public static func isYes(_ answer: String) -> Bool {
        ["y", "yes"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased())
    }
}
