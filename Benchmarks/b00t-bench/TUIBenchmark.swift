import B00tCore
import Foundation
import K0mmand3rKit

/// k0mmand3r figures: frame render + diff at 200x50 over 100k scrollback, replay throughput, and the memory
/// that scrollback costs.
enum TUIBenchmark {
    static func residentMB() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return .nan }
        let pages = Double(text.split(separator: " ")[1]) ?? 0
        return pages * Double(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

    static func run() async throws -> [String: Double] {
        var figures: [String: Double] = [:]
        let before = residentMB()
        var state = ScreenState(columns: 200, rows: 50, stream: Scrollback(capacity: 100_000))
        let base = Date()
        for i in 0..<100_000 {
            let event = BusEvent(seq: UInt64(i + 1), timestamp: base, from: "agent\(i % 7)", conversationID: "evt-\(i)",
                                 replyTo: i % 3 == 0 ? UInt64(i) : nil,
                                 body: .message(crew: "api", to: nil, text: "message number \(i) about the ingestion service"))
            state.stream.append(StreamFormatter.line(event))
        }
        figures["tui_scrollback_100k_rss_mb"] = residentMB() - before
        state.agents = (0..<8).map { BusAgent(id: "agent\($0)", role: "specialist", skills: ["rust": 0.9, "swift": 0.7]) }
        state.services = (0..<6).map { ServiceStatus(id: "svc\($0).process", runtime: "process", state: .running, health: "healthy", pid: 100, ports: "80\($0)", startedAt: base) }
        var previous: Frame? = ScreenModel.render(state)
        var samples: [Double] = []
        for i in 0..<300 {
            // A new event arrives and the user types: the usual reason for a frame.
            state.stream.append(StyledText("live line \(i)", role: "event.message"))
            state.input.handle(.character("x"))
            let t0 = DispatchTime.now().uptimeNanoseconds
            let frame = ScreenModel.render(state)
            let changed = frame.changedRows(since: previous)
            let t1 = DispatchTime.now().uptimeNanoseconds
            precondition(!changed.isEmpty)
            previous = frame
            samples.append(Double(t1 - t0) / 1_000)
        }
        figures["tui_frame_render_us"] = median(samples)

        // Replay throughput against the in-memory bus.
        var script = "@as captain\n"
        for i in 0..<20 { script += "@as dev\(i)\n" }
        script += "@as captain\n"
        for i in 0..<10_000 {
            switch i % 4 {
            case 0: script += "/ahoy backend\(i) --skills rust --budget \(i)\n"
            case 1: script += "hello crew \(i)\n"
            case 2: script += "/agents\n"
            default: script += "/skills\n"
            }
        }
        let session = Session(bus: try await MessageBus(backend: MemoryBusBackend()), agent: "captain")
        let t0 = DispatchTime.now().uptimeNanoseconds
        let report = try await ReplayRunner(session: session).run(text: script, name: "bench.k0")
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        figures["replay_commands_per_s"] = Double(report.commands) / seconds
        return figures
    }
}
