import B00tCore
import Foundation

extension Session {
    /// `/help` ends with the keys (`/help keys` shows only them).
    static let keyHelp: [StyledText] = [
        .title("keys:"),
        StyledText("  Enter send · Tab / Shift-Tab complete, again to cycle (nicks in chat: de → dev1:) · ↑ ↓ history · ^R search history", hang: 4),
        StyledText("  ^F find in the stream (↑ ↓ or ^F ^N older/newer, Enter keeps, Esc clears) · PgUp PgDn, mouse wheel scroll", hang: 4),
        StyledText("  Home / End top / bottom of the stream (on an empty line) · F1 F2 F3 fold panes · ^L redraw · ^Z suspend (fg)", hang: 4),
        StyledText("  Esc or ^C cancel the running command · ^C or ^D on an empty line quit · editing: ^A ^E ^K ^U ^W Alt-B Alt-F", hang: 4),
        StyledText("  a paste is one message (its lines kept), never commands · /mouse off gives the terminal its text selection back", hang: 4),
    ]

    /// The screen and the session itself: help, theme, panes, recording, clear, quit — answered with effects the front end applies.
    func runScreenCommand(_ command: ReplCommand) async throws -> CommandOutcome {
        var out = CommandOutcome()
        func say(_ line: StyledText) { out.lines.append(line) }
        let me = agent
        _ = me
        switch command {
        case .help(let name):
            if name == "keys" {
                out.lines += Self.keyHelp
            } else if let name {
                let key = name.hasPrefix("/") ? name : "/" + name
                guard let entry = ReplCommand.catalog.first(where: { $0.name == key }) else {
                    throw ReplError.unknownCommand(key, suggestion: ReplCommand.suggestion(for: key))
                }
                say(.title(entry.usage))
                say(StyledText("  " + entry.summary))
            } else {
                say(.title("commands (text without a slash is a chat message to your crew):"))
                for entry in ReplCommand.catalog {
                    say(StyledText("  " + entry.usage.padding(toLength: max(entry.usage.count, 44), withPad: " ", startingAt: 0) + "  " + entry.summary,
                                   hang: 4))
                }
                out.lines += Self.keyHelp
            }
        case .theme(let name):
            guard let name else {
                say(StyledText("theme: \(theme); available: \(Theme.available().joined(separator: ", "))"))
                break
            }
            let loaded = try Theme.load(named: name)
            setTheme(name)
            out.effects.append(.setTheme(loaded))
            say(.ok("theme \(name)"))
        case .pane(let name):
            out.effects.append(.togglePane(name.flatMap(Pane.init(rawValue:))))
            say(.ok("pane \(name ?? "layout") toggled"))
        case .record(let path, let force):
            say(.ok(try toggleRecording(path, force: force)))
        case .search(let text):
            out.effects.append(.search(text))
        case .mouse(let on):
            out.effects.append(.mouse(on))
        case .clear:
            out.effects.append(.clear)
        case .quit:
            out.effects.append(.quit)
        default:
            throw ReplError.failed("internal: \(command) is not a screen command")
        }
        return out
    }
}
