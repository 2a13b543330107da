import B00tCore
@preconcurrency import Foundation

/// k0mmand3r, line mode for now: reads commands, runs /help and /quit.
let isTerminal = isatty(STDIN_FILENO) == 1
func prompt() {
    if isTerminal {
        print("k0mmand3r> ", terminator: "")
        fflush(stdout)
    }
}
print("k0mmand3r — b00t crew REPL. /help for commands, /quit to leave.")
prompt()
while let line = readLine() {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    switch trimmed {
    case "": break
    case "/quit", "/exit": exit(0)
    case "/help": print("/help  show this help\n/quit  leave")
    default:
        let word = String(trimmed.split(separator: " ").first ?? "")
        let hint = closestMatch(to: word, in: ["/help", "/quit"], maxDistance: 3).map { " (did you mean \($0)?)" } ?? ""
        print("error: unknown command '\(word)'\(hint)")
    }
    prompt()
}
