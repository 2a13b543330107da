import B00tCore
import Foundation
import K0mmand3rKit

/// Writes output lines as plain text, with ANSI colours only when asked.
struct PlainOutput {
    let color: Bool

    func write(_ lines: [StyledText]) {
        var text = ""
        for line in lines {
            // Lines carry what agents and datums said: escaped, so nobody can move the cursor or forge a line.
            let safe = TerminalText.line(line.text)
            if color, let code = Self.ansi[line.role.hasPrefix("event") ? "event" : line.role] {
                text += "\u{1B}[\(code)m\(safe)\u{1B}[0m\n"
            } else {
                text += safe + "\n"
            }
        }
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static let ansi = ["ok": "32", "error": "1;31", "warn": "33", "title": "1", "dim": "2", "event": "36"]
}

/// stdin is not a terminal: one command a line, plain output, errors keep going (scripts see them) — and
/// the exit status is 1 when any command failed, so a script cannot pass by accident.
struct PipeMode {
    let session: Session
    let color: Bool

    /// Returns how many commands failed.
    func run() async -> Int {
        let out = PlainOutput(color: color)
        var failures = 0
        while let line = readLine(strippingNewline: true) {
            let outcome = await session.run(line)
            out.write(outcome.lines)
            if outcome.failed { failures += 1 }
            if outcome.quit { break }
        }
        out.write(await session.finish())
        return failures
    }
}
