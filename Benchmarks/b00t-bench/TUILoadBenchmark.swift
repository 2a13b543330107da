#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import CB00tSystem
import Foundation

/// Issue 18, goal 7: the real k0mmand3r in a pseudo-terminal, following a real daemon whose crew stream gets
/// 2,000 events a second; a key is typed every 40 ms and timed until its glyph comes back on the terminal.
/// `tui_keystroke_p99_ms_under_load` is the p99 of those delays (goal ≤ 16 ms: one frame at 60 Hz).
enum TUILoadBenchmark {
    static func run() async throws -> [String: Double] {
        let dir = NSTemporaryDirectory() + "b00t-bench-tui-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o700)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let daemon = try Daemon(dir: dir + "/bus", store: "memory")
        defer { daemon.stop() }
        let terminal = try PseudoTerminal(columns: 120, rows: 35)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/k0mmand3r"
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm-256color"
        env["HOME"] = dir
        env["B00T_STATE_DIR"] = dir + "/bus"
        env["B00T_BUS_SOCKET"] = daemon.endpoint.socketPath
        env["XDG_RUNTIME_DIR"] = ""
        env["LANG"] = "C.UTF-8"
        let pid = try Spawn.start([binary, "--as", "typist"], options: .init(
            newSession: true, outputDescriptor: terminal.follower, inputDescriptor: terminal.follower,
            workingDirectory: dir, environment: env))
        defer {
            kill(pid, SIGTERM)
            _ = Spawn.wait(pid, timeout: .seconds(3))
        }
        let screen = TerminalReader(fd: terminal.leader)
        guard screen.waitFor(text: "typist", seconds: 20) else { throw PseudoTerminal.Failure("k0mmand3r did not draw its screen") }

        // The load: 2,000 says a second in batches of 20 every 10 ms, for as long as we type.
        let publisher = try await BusClient.connect(daemon.endpoint)
        try await publisher.request("hello", ["agent": "loader"])
        try await publisher.request("register")
        let load = Task {
            let start = ContinuousClock.now
            var tick = 0
            while !Task.isCancelled {
                let cmds: [[String: Any]] = (0..<20).map { ["op": "say", "text": "load \(tick * 20 + $0) lorem ipsum dolor"] }
                _ = try? await publisher.request("batch", ["cmds": cmds])
                tick += 1
                let due = start + .milliseconds(10) * tick
                if due > .now { try? await Task.sleep(until: due, clock: .continuous) }
            }
            return tick * 20
        }
        try await Task.sleep(for: .seconds(1))
        // The stream is really being drawn (else the delays below would time an idle screen).
        guard screen.waitFor(text: "lorem ipsum", seconds: 10) else { throw PseudoTerminal.Failure("the crew stream never showed the load") }

        var delays: [Double] = []
        for n in 0..<250 {
            // Type a glyph the screen does not otherwise show, wait for it, then erase it.
            let glyph: UInt8 = n % 2 == 0 ? UInt8(ascii: "Q") : UInt8(ascii: "Z")
            let mark = screen.mark()
            let sent = DispatchTime.now().uptimeNanoseconds
            terminal.type([glyph])
            guard let seen = screen.waitFor(byte: glyph, after: mark, seconds: 2) else { continue }
            delays.append(Double(seen - sent) / 1e6)
            terminal.type([0x7F])
            try await Task.sleep(for: .milliseconds(40))
        }
        load.cancel()
        let events = await load.value
        let elapsed = Double(max(1, delays.count)) * 0.04
        await publisher.close()
        screen.stop()
        var figures: [String: Double] = [:]
        figures["tui_keystroke_p50_ms_under_load"] = percentile(delays, 50)
        figures["tui_keystroke_p99_ms_under_load"] = percentile(delays, 99)
        figures["tui_keystrokes_lost_under_load"] = Double(250 - delays.count)
        figures["tui_load_events_per_s"] = Double(events) / (elapsed + 1)
        return figures
    }

    static func percentile(_ values: [Double], _ p: Int) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, sorted.count * p / 100)]
    }
}

/// A pseudo-terminal pair with a window size.
final class PseudoTerminal {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ text: String) { description = text }
    }

    let leader: Int32
    let follower: Int32

    init(columns: Int, rows: Int) throws {
        var other: Int32 = -1
        leader = b00t_open_pty(&other)
        guard leader >= 0 else { throw Failure("no pseudo-terminal: \(String(cString: strerror(errno)))") }
        follower = other
        var size = winsize(ws_row: UInt16(rows), ws_col: UInt16(columns), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(leader, UInt(TIOCSWINSZ), &size)
    }

    deinit {
        close(follower)
        close(leader)
    }

    func type(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { write(leader, $0.baseAddress, $0.count) }
    }
}

/// Drains the terminal's output on a thread of its own (k0mmand3r must never block on a full pty), keeping
/// the arrival time of each byte of interest.
final class TerminalReader: @unchecked Sendable {
    private let condition = NSCondition()
    private var text: [UInt8] = []
    private var arrivals: [(offset: Int, at: UInt64)] = []
    private var stopped = false

    init(fd: Int32) {
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, 100)
                condition.lock()
                let done = stopped
                condition.unlock()
                if done { return }
                if ready <= 0 { continue }
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n <= 0 { return }
                let now = DispatchTime.now().uptimeNanoseconds
                condition.lock()
                let base = text.count
                text += buffer[0..<n]
                arrivals.append((base, now))
                // Keep the last 4 MB only (the load never stops drawing).
                if text.count > 8 << 20 {
                    let drop = text.count - (4 << 20)
                    text.removeFirst(drop)
                    arrivals = arrivals.compactMap { $0.offset >= drop ? ($0.offset - drop, $0.at) : nil }
                    dropped += drop
                }
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    private var dropped = 0

    /// A position in the output stream (absolute, survives trimming).
    func mark() -> Int {
        condition.lock()
        defer { condition.unlock() }
        return dropped + text.count
    }

    /// When `byte` first arrived after `mark`, waiting up to `seconds`.
    func waitFor(byte: UInt8, after mark: Int, seconds: Double) -> UInt64? {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        var from = max(0, mark - dropped)
        while true {
            if let index = text[from...].firstIndex(of: byte) {
                let arrival = arrivals.last { $0.offset <= index }
                return arrival?.at
            }
            from = text.count
            if !condition.wait(until: deadline) { return nil }
            from = max(0, min(from, text.count))
        }
    }

    func waitFor(text needle: String, seconds: Double) -> Bool {
        let bytes = Array(needle.utf8)
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if text.count >= bytes.count, (0...(text.count - bytes.count)).contains(where: { text[$0..<$0 + bytes.count].elementsEqual(bytes) }) { return true }
            if !condition.wait(until: deadline) { return false }
        }
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.unlock()
    }
}
