import B00tCore
import Foundation

extension Session {
    /// The screen and the session itself: help, theme, panes, recording, clear, quit — answered with effects the front end applies.
    func runScreenCommand(_ command: ReplCommand) async throws -> CommandOutcome {
        var out = CommandOutcome()
        func say(_ line: StyledText) { out.lines.append(line) }
        let me = agent
        _ = me
        switch command {
        case .help(let name):
            if let name {
                let key = name.hasPrefix("/") ? name : "/" + name
                guard let entry = ReplCommand.catalog.first(where: { $0.name == key }) else {
                    throw ReplError.unknownCommand(key, suggestion: closestMatch(to: key, in: ReplCommand.names, maxDistance: 3))
                }
                say(.title(entry.usage))
                say(StyledText("  " + entry.summary))
            } else {
                say(.title("commands (text without a slash is a chat message to your crew):"))
                for entry in ReplCommand.catalog {
                    say(StyledText("  " + entry.usage.padding(toLength: max(entry.usage.count, 44), withPad: " ", startingAt: 0) + "  " + entry.summary))
                }
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
