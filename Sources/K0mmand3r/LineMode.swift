import B00tCore
import CB00tSystem
import CLineEdit
import Foundation
import K0mmand3rKit

/// Completion state for libedit's C callback (which cannot capture Swift context).
nonisolated(unsafe) private var completionContext = Completer.Context()
nonisolated(unsafe) private var promptText: [CChar] = Array("k0mmand3r› ".utf8CString)

private func promptCallback(_ el: OpaquePointer?) -> UnsafePointer<CChar>? {
    promptText.withUnsafeBufferPointer { $0.baseAddress }
}

/// Set by the ^C key binding while editing; read (and cleared) by `LineMode.readLine`.
nonisolated(unsafe) private var lineInterrupted = false

private func interruptCallback(_ el: OpaquePointer?, _ key: Int32) -> UInt8 {
    lineInterrupted = true
    return UInt8(CC_NEWLINE)
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
        // ^C clears the line (or cancels the running command) instead of ending the program.
        _ = b00t_catch_signal(SIGINT)
        let history = HistoryFile()
        guard let el = b00t_el_open("k0mmand3r", history.history, promptCallback) else {
            throw ReplError.failed("libedit could not start on this terminal; pipe commands in instead")
        }
        b00t_el_bind_complete(el, completeCallback)
        b00t_el_bind_interrupt(el, interruptCallback)
        defer {
            el_end(el)
            history.save()
        }
        let out = PlainOutput(color: color)
        out.write([.title("k0mmand3r on \(session.busLabel) as \(await session.agent) — /help, /quit")])
        let datums = TUIApp.runnableDatums()
        var seen = (try? await session.bus.currentState().lastSeq) ?? 0
        while true {
            let state = (try? await session.bus.currentState()) ?? BusState()
            let me = await session.agent
            completionContext = TUIApp.completionContext(state, datums: datums, me: me, crew: await session.crew)
            // Events from others since the last prompt, so a plain prompt still shows the crew (what this agent
            // may see: private messages only for their two agents, crew chat for the crew).
            // This agent's own events were answered by its commands' output already.
            if let events = try? await session.bus.events(after: seen, limit: 200), let last = events.last {
                out.write(events.filter { $0.from != me && StreamFeed.isVisible($0, to: me, state: state) }
                    .flatMap { [StyledText(StreamFeed.line($0, state: state, me: me).text, role: "event")] + StreamFeed.detailLines($0) })
                seen = last.seq
            }
            let read = readLine(el)
            if case .interrupted = read {
                FileHandle.standardOutput.write(Data("^C\n".utf8))
                continue
            }
            guard case .line(let line) = read else {
                FileHandle.standardOutput.write(Data("\n".utf8))  // ^D: leave the prompt on a line of its own
                break
            }
            history.add(line)
            var outcome = await runCancellable(line)
            if let question = outcome.confirmation {
                out.write([.warn(question.question + " [y/N]")])
                if case .line(let answer) = readLine(el), Confirmation.isYes(answer) {
                    outcome = await session.run(question.command)
                } else {
                    outcome = CommandOutcome(lines: [.dim("not done: \(question.shown)")])
                }
            }
            // `seen` stays where it was: what others said while this prompt waited is shown at the next one (it
            // used to move to the log's end here, and everything that came in meanwhile was never shown).
            out.write(outcome.lines)
            if outcome.quit { break }
        }
        out.write(await session.finish())
    }

    enum Read { case line(String), interrupted, end }

    private func readLine(_ el: OpaquePointer) -> Read {
        _ = b00t_take_caught_signal()
        lineInterrupted = false
        var count: Int32 = 0
        let raw = el_gets(el, &count)
        if lineInterrupted || b00t_take_caught_signal() == 1 { return .interrupted }
        guard let raw else { return .end }
        return .line(String(cString: raw).trimmingCharacters(in: .newlines))
    }

    /// Runs one line; ^C while it waits cancels it (a request the bus already took may still land).
    private func runCancellable(_ line: String) async -> CommandOutcome {
        let session = self.session
        let work = Task { await session.run(line) }
        let watch = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(50))
                if b00t_take_caught_signal() == 1 {
                    work.cancel()
                    return
                }
            }
        }
        let outcome = await work.value
        watch.cancel()
        return outcome
    }
}
