/// One change a person or an agent asks of a datum. The CLI (`b00t datum mutate`), k0mmand3r (`/mutate`) and the
/// MCP tool (`datum_mutate`) all build these; `DatumEditor` turns them into in-place edits of the file.
public enum DatumEdit: Hashable, Sendable {
    /// `--set KEY=VALUE`: a string key of `[b00t]` (`desires`, `install`, `docker_image`/`image`, `learn`) or
    /// an environment value (`env.NAME`).
    case set(key: String, value: String)
    /// `--add-usage "command # description"`: a new usage example, or a new description for a command
    /// already listed.
    case addUsage(UsageExample)
    /// `--learn FILE`: the learn text replaced.
    case setLearn(String)
    /// `--append-learn FILE`: text added at the end of the learn text.
    case appendLearn(String)
    case addDependency(String)
    case removeDependency(String)

    /// Keys `--set` accepts besides `env.NAME` (`version` is read as `desires`, the datum's version).
    public static let settableKeys = ["desires", "version", "install", "docker_image", "image", "learn"]
    /// Values a mutation may write stay small: a datum is a few lines, and the diff (old and new text) travels
    /// on the bus within `UnifiedDiff.maximumBytes`.
    public static let maximumValueBytes = 8 * 1024

    /// `KEY=VALUE` as `--set` and `/mutate` take it.
    public static func parseSet(_ text: String) throws(MutationError) -> DatumEdit {
        guard let eq = text.firstIndex(of: "=") else {
            throw MutationError(.invalid, "--set takes KEY=VALUE (got '\(TerminalText.line(text))'), like desires=7.2 or env.LOG_LEVEL=debug")
        }
        let key = text[..<eq].trimmingCharacters(in: .whitespaces)
        let value = String(text[text.index(after: eq)...])
        let edit = DatumEdit.set(key: key == "version" ? "desires" : key, value: value)
        try edit.check()
        return edit
    }

    /// `"command # description"` (split at the last " # "; no mark means no description).
    public static func parseUsage(_ text: String) throws(MutationError) -> DatumEdit {
        let example = UsageExample(line: text)
        let edit = DatumEdit.addUsage(example)
        try edit.check()
        return edit
    }

    /// The request on its own makes sense (key known, names well-formed, sizes bounded).
    public func check() throws(MutationError) {
        func bounded(_ text: String, _ what: String) throws(MutationError) {
            guard text.utf8.count <= Self.maximumValueBytes else {
                throw MutationError(.tooLarge, "\(what) is \(text.utf8.count) bytes; a mutation carries at most \(Self.maximumValueBytes)")
            }
        }
        switch self {
        case .set(let key, let value):
            if key.hasPrefix("env.") {
                let name = String(key.dropFirst(4))
                guard !name.isEmpty, name.utf8.allSatisfy({ TOMLParser.isBareKeyByte($0) && $0 != 0x2D }) else {
                    throw MutationError(.invalid, "env.\(TerminalText.line(name)): an environment name is letters, digits and '_'")
                }
            } else if !Self.settableKeys.contains(key) {
                let hint = closestMatch(to: key, in: Self.settableKeys).map { " (did you mean '\($0)'?)" } ?? ""
                throw MutationError(.invalid, "--set cannot change '\(TerminalText.line(key))'\(hint); it sets "
                                    + Self.settableKeys.joined(separator: ", ") + " or env.NAME")
            }
            if key != "learn", value.contains("\n") {
                throw MutationError(.invalid, "\(key) is one line; only learn text may span several")
            }
            try bounded(value, key)
        case .addUsage(let example):
            guard !example.command.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw MutationError(.invalid, "a usage example needs a command: \"redis-cli ping # check it answers\"")
            }
            guard !example.command.contains("\n"), !example.description.contains("\n") else {
                throw MutationError(.invalid, "a usage example is one line")
            }
            try bounded(example.command + example.description, "the usage example")
        case .setLearn(let text), .appendLearn(let text):
            guard !text.isEmpty else { throw MutationError(.invalid, "the learn text is empty") }
            try bounded(text, "the learn text")
        case .addDependency(let name), .removeDependency(let name):
            guard name.split(separator: ".").allSatisfy({ IdentifierRules.datumNameProblem(String($0)) == nil }), !name.isEmpty else {
                throw MutationError(.invalid, "'\(TerminalText.line(name))' is not a datum name (name or name.type)")
            }
        }
    }

    /// The key of `[b00t]` this edit changes.
    var touchedKey: String {
        switch self {
        case .set(let key, _): return key.hasPrefix("env.") ? "env" : key == "image" ? "docker_image" : key
        case .addUsage: return "usage"
        case .setLearn, .appendLearn: return "learn"
        case .addDependency, .removeDependency: return "depends_on"
        }
    }

    /// One line for the proposal, the commit message and the crew stream.
    public var summary: String {
        func short(_ text: String) -> String {
            let line = text.replacingOccurrences(of: "\n", with: " ")
            return line.count > 60 ? String(line.prefix(57)) + "…" : line
        }
        switch self {
        case .set(let key, let value): return "set \(key) = \"\(short(value))\""
        case .addUsage(let example):
            return "add usage `\(short(example.command))`" + (example.description.isEmpty ? "" : " (\(short(example.description)))")
        case .setLearn(let text): return "set learn text (\(text.utf8.count) bytes)"
        case .appendLearn(let text): return "append to learn text (\(text.utf8.count) bytes)"
        case .addDependency(let name): return "add dependency \(name)"
        case .removeDependency(let name): return "remove dependency \(name)"
        }
    }
}
