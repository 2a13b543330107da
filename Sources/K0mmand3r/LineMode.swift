import B00tCore
import CLineEdit
import Foundation
import K0mmand3rKit

/// Completion state for libedit's C callback (which cannot capture Swift context).
nonisolated(unsafe) private var completionContext = Completer.Context()
nonisolated(unsafe) private var promptText: [CChar] = Array("k0mmand3r› ".utf8CString)

private func promptCallback(_ el: OpaquePointer?) -> UnsafePointer<CChar>? {
    promptText.withUnsafeBufferPointer { $0.baseAddress }
}

private func completeCallback(_ el: OpaquePointer?, _ key: Int32) -> UInt8 {
    guard let el, let info = el_line(el) else { return UInt8(CC_ERROR) }
    let start = info.pointee.buffer!
    let length = info.pointee.cursor - start
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(start).assumingMemoryBound(to: UInt8.self), count: length)
    let line = String(decoding: bytes, as: UTF8.self)
    let (completed, candidates) = Completer(context: completionContext).complete(line)
    if completed.count > line.count {
        _ = String(completed.dropFirst(line.count)).withCString { el_insertstr(el, $0) }
        return UInt8(CC_REFRESH)
    }
    if candidates.count > 1 {
        print("\n" + candidates.joined(separator: "  "))
        return UInt8(CC_REDISPLAY)
    }
    return UInt8(CC_ERROR)
}

/// `--line`: a libedit prompt with history (saved in the state dir) and Tab completion.
struct LineMode {
    let session: Session
    let color: Bool

    func run() async throws {
        // libedit decodes the prompt with the C library's locale: in the default "C" locale the UTF-8 prompt
        // does not decode and el_gets dereferences a null string (the crash this once had).
        TerminalLocale.ensureUTF8()
        let historyPath = B00tPaths.standard().stateDirectory + "/k0mmand3r_history"
        try? B00tPaths.ensurePrivateDirectory(B00tPaths.standard().stateDirectory)
        let history = b00t_history_open(1000)
        _ = b00t_history_load(history, historyPath)
        guard let el = b00t_el_open("k0mmand3r", history, promptCallback) else {
            throw ReplError.failed("libedit could not start on this terminal; pipe commands in instead")
        }
        b00t_el_bind_complete(el, completeCallback)
        defer {
            el_end(el)
            _ = b00t_history_save(history, historyPath)
            chmod(historyPath, 0o600)
            history_end(history)
        }
        let out = PlainOutput(color: color)
        out.write([.title("k0mmand3r on \(session.busLabel) as \(await session.agent) — /help, /quit")])
        let datums = TUIApp.runnableDatums()
        var seen = (try? await session.bus.currentState().lastSeq) ?? 0
        while true {
            let state = (try? await session.bus.currentState()) ?? BusState()
            completionContext = TUIApp.completionContext(state, datums: datums)
            // Events from others since the last prompt, so a plain prompt still shows the crew.
            if let events = try? await session.bus.events(after: seen, limit: 200), let last = events.last {
                out.write(events.map { OutputLine(StreamFormatter.line($0).text, role: "event") })
                seen = last.seq
            }
            guard let line = readLine(el) else { break }
            if !line.trimmingCharacters(in: .whitespaces).isEmpty { _ = b00t_history_enter(history, line) }
            var outcome = await session.run(line)
            if let question = outcome.confirm {
                out.write([.warn(question.question + " [y/N]")])
                if let answer = readLine(el), answer.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("y") {
                    outcome = await session.run(question.command)
                } else {
                    outcome = CommandOutcome(lines: [.dim("not done: \(question.command)")])
                }
            }
            out.write(outcome.lines)
            seen = max(seen, (try? await session.bus.currentState().lastSeq) ?? seen)
            if outcome.quit { break }
        }
        out.write(await session.finish())
    }

    private func readLine(_ el: OpaquePointer) -> String? {
        var count: Int32 = 0
        guard let raw = el_gets(el, &count) else { return nil }
        return String(cString: raw).trimmingCharacters(in: .newlines)
    }
}
