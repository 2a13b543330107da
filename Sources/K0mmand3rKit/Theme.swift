import B00tCore
import Foundation

/// Colours for every screen role. A theme file maps roles to specs like `"green bold"`, `"black/cyan"`,
/// `"208 underline"` (names or 256-colour numbers, `fg/bg`, then attributes).
public struct Theme: Equatable, Sendable {
    public struct Style: Equatable, Sendable, Hashable {
        /// -1 = terminal default; 0–255.
        public var fg: Int = -1
        public var bg: Int = -1
        public var bold = false
        public var underline = false
        public var reverse = false
        public var dim = false
        public init(fg: Int = -1, bg: Int = -1, bold: Bool = false, underline: Bool = false, reverse: Bool = false, dim: Bool = false) {
            self.fg = fg; self.bg = bg; self.bold = bold; self.underline = underline; self.reverse = reverse; self.dim = dim
        }
    }

    public var name: String
    public var styles: [String: Style]

    /// Roles a theme may set. `event.KIND` roles colour the crew stream by event kind.
    public static let roles = ["border", "title", "text", "dim", "ok", "warn", "error", "input", "status", "selected",
                               "event", "event.message", "event.ahoy", "event.ahoy_apply", "event.ahoy_award",
                               "event.ahoy_reject", "event.proposal", "event.vote", "event.proposal_closed",
                               "event.teach", "event.skill_learned", "event.share", "event.handshake",
                               "event.handshake_reply", "event.crew_formed", "event.agent_registered", "event.private",
                               "event.delegate", "event.negotiate", "event.status", "event.crew_joined",
                               "mention", "match", "match.current", "nick",
                               "event.mutation", "event.datum_mutated", "event.mutation_rejected", "diff.add", "diff.remove"] + (0..<StreamFeed.nickColours).map { "nick.\($0)" }

    static let colourNames = ["black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
                              "default": -1, "grey": 8, "gray": 8, "bright-red": 9, "bright-green": 10, "bright-yellow": 11,
                              "bright-blue": 12, "bright-magenta": 13, "bright-cyan": 14, "bright-white": 15]

    /// The style for a role; `event.X` falls back to `event`, `nick.N` to `nick`, `match.current` to `match`,
    /// anything unknown to `text`.
    public func style(_ role: String) -> Style {
        if let s = styles[role] { return s }
        if let dot = role.firstIndex(of: "."), let s = styles[String(role[..<dot])] { return s }
        return styles["text"] ?? Style()
    }

    /// The default theme as shipped (`themes/default.toml`, compiled in).
    public static let builtinDefault: Theme = (try? load(text: BuiltinThemes.texts["default"] ?? "", path: "<built-in default.toml>")) ?? base

    /// What every theme file starts from, so a file that sets a few roles still has them all.
    static let base = Theme(name: "default", styles: [
        "border": Style(fg: 6), "title": Style(fg: 15, bold: true), "text": Style(), "dim": Style(fg: 8),
        "ok": Style(fg: 2), "warn": Style(fg: 3), "error": Style(fg: 1, bold: true), "input": Style(fg: 15),
        "status": Style(fg: 0, bg: 6), "selected": Style(reverse: true), "event": Style(fg: 7),
        "event.message": Style(fg: 15), "event.ahoy": Style(fg: 208, bold: true), "event.ahoy_award": Style(fg: 2, bold: true),
        "event.vote": Style(fg: 4), "event.proposal": Style(fg: 12, bold: true), "event.teach": Style(fg: 5),
        "event.skill_learned": Style(fg: 13), "mention": Style(fg: 0, bg: 11, bold: true), "match": Style(fg: 0, bg: 3),
        "match.current": Style(fg: 0, bg: 11, bold: true), "nick": Style(bold: true),
        "event.mutation": Style(fg: 12, bold: true),
        "event.datum_mutated": Style(fg: 2, bold: true), "event.mutation_rejected": Style(fg: 3),
        "diff.add": Style(fg: 2), "diff.remove": Style(fg: 1),
    ])

    /// Parses `"fg/bg bold underline"`.
    public static func parseSpec(_ spec: String) -> Style? {
        var style = Style()
        var colourSeen = false
        for word in spec.lowercased().split(separator: " ") {
            switch word {
            case "bold": style.bold = true
            case "underline": style.underline = true
            case "reverse": style.reverse = true
            case "dim": style.dim = true
            default:
                guard !colourSeen else { return nil }
                colourSeen = true
                let parts = word.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard parts.count <= 2, let fg = colour(parts[0]) else { return nil }
                style.fg = fg
                if parts.count == 2 {
                    guard let bg = colour(parts[1]) else { return nil }
                    style.bg = bg
                }
            }
        }
        return style
    }

    static func colour(_ text: String) -> Int? {
        if let n = Int(text) { return (0...255).contains(n) ? n : nil }
        return colourNames[text]
    }

    /// Folders searched for `NAME.toml` before the themes compiled in: `$B00T_THEMES`, `./themes`, `~/.b00t/themes`
    /// (a file there overrides the built-in theme of the same name).
    public static func folders(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var result: [String] = []
        if let env = environment["B00T_THEMES"], !env.isEmpty { result += env.split(separator: ":").map(String.init) }
        result.append(FileManager.default.currentDirectoryPath + "/themes")
        if let home = environment["HOME"] { result.append(home + "/.b00t/themes") }
        return result
    }

    public static func available() -> [String] {
        var names = Set(BuiltinThemes.texts.keys)
        for folder in folders() {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where file.hasSuffix(".toml") {
                names.insert(String(file.dropLast(5)))
            }
        }
        return names.sorted()
    }

    /// Loads `NAME` from the theme folders (the built-in default when no file is found for "default").
    public static func load(named name: String) throws(ReplError) -> Theme {
        // A name, never a path: `/theme ../../x` must not load any x.toml on the disk.
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw .failed("theme name '\(TerminalText.line(String(name.prefix(64))))' must be letters, digits, '-' or '_' (themes: \(available().joined(separator: ", ")))")
        }
        for folder in folders() {
            let path = "\(folder)/\(name).toml"
            if FileManager.default.fileExists(atPath: path) { return try load(file: path) }
        }
        if let text = BuiltinThemes.texts[name] { return try load(text: text, path: "<built-in \(name).toml>") }
        let suggestion = closestMatch(to: name, in: available()).map { " — did you mean \($0)?" } ?? ""
        throw .failed("no theme '\(name)'\(suggestion); available: \(available().joined(separator: ", "))")
    }

    /// Parses a theme file; every problem names file:line and the key.
    public static func load(file path: String) throws(ReplError) -> Theme {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw .failed("\(path): cannot read theme file")
        }
        return try load(text: text, path: path)
    }

    /// Parses a theme's text (`path` names it in errors).
    static func load(text: String, path: String) throws(ReplError) -> Theme {
        let table: [String: DatumValue]
        do {
            table = try TOMLDocument.parse(text).root
        } catch {
            throw .failed("\(path):\(error.line):\(error.column): \(error.message)")
        }
        let locator = KeyLocator(source: text)
        func fail(_ key: String, _ message: String) -> ReplError {
            .failed("\(path):\(locator.position(of: key).line): \(key): \(message)")
        }
        var theme = base
        theme.name = (path as NSString).lastPathComponent.replacingOccurrences(of: ".toml", with: "")
        if case .string(let name)? = table["name"] { theme.name = name }
        for key in table.keys where key != "name" && key != "colors" {
            throw fail(key, "unknown key; a theme has name and a [colors] table")
        }
        guard case .table(let colours)? = table["colors"] else { throw fail("colors", "missing [colors] table") }
        for (role, value) in colours {
            guard roles.contains(role) || role.hasPrefix("event.") || role.hasPrefix("nick.") else {
                let hint = closestMatch(to: role, in: roles).map { " — did you mean \($0)?" } ?? ""
                throw fail("colors.\(role)", "unknown role\(hint)")
            }
            guard case .string(let spec) = value, let style = parseSpec(spec) else {
                throw fail("colors.\(role)", "expected a colour spec like \"green bold\" or \"black/cyan\" (names or 0–255)")
            }
            theme.styles[role] = style
        }
        return theme
    }
}
