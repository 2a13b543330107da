#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import B00tMCP
import Foundation
import MCP

/// `b00t mcp serve` as an assistant sees it: a real server process on a private bus daemon, called over stdio by
/// the official Swift SDK's client. Figures: tool-call round trips (`crew_status` reads, `say` appends to the
/// log through the daemon) and the time from a human's command to the notification the assistant reads. In the
/// same run, the same calls against a server using the SDK's own `StdioTransport` (which polls every 10 ms when
/// idle) show what `LineTransport` saves.
enum MCPBenchmark {
    static let b00t = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/b00t"
    static let calls = 2_000
    static let probes = 200

    static func run() async throws -> [String: Double] {
        let dir = NSTemporaryDirectory() + "b00t-bench-mcp-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir + "/home", withIntermediateDirectories: true)
        let paths = B00tPaths(stateDirectory: dir)
        var env = ProcessInfo.processInfo.environment
        env["B00T_STATE_DIR"] = dir
        env["B00T_BUS_SOCKET"] = dir + "/bus.sock"
        env["XDG_RUNTIME_DIR"] = ""
        env["HOME"] = dir + "/home"
        env["B00T_PATH"] = dir
        env["B00T_BIN"] = b00t
        for key in ["B00T_BUS_URL", "B00T_BUS_TOKEN", "B00T_DEBUG", "B00T_AGENT"] { env[key] = nil }
        defer {
            let orchestrator = Orchestrator(catalog: BuiltinDatums.adding(to: DatumLoader(searchPath: DatumSearchPath(folders: [dir])).load()),
                                            paths: paths, environment: env)
            blockingWait { _ = try? await orchestrator.stop("b00t-bus.process", force: true) }
            try? FileManager.default.removeItem(atPath: dir)
        }
        // The daemon without its per-connection rate limit (200 messages/s by default, which an assistant is held
        // to like every agent): what is measured is the MCP path, not the limiter. A datum on the search path
        // overrides the built-in one.
        try """
        [b00t]
        name = "b00t-bus"
        type = "process"
        command = "${B00T_BIN:-b00t}"
        args = ["bus", "serve", "--socket", "${B00T_BUS_SOCKET}", "--store", "sqlite", "--rate", "0"]
        [b00t.health_check]
        unix = "${B00T_BUS_SOCKET}"
        interval_ms = 20
        retry_count = 250
        """.write(toFile: dir + "/b00t-bus.process.toml", atomically: true, encoding: .utf8)
        let serve = MCPStdioMethod(command: b00t, args: ["mcp", "serve", "--as", "bench-mcp"])
        let session = try await MCPClientSession.start(serve, environment: env, paths: paths, clientName: "b00t-bench")
        do {
            return try await measure(session, env: env, paths: paths)
        } catch {
            await session.close()
            throw error
        }
    }

    static func measure(_ session: MCPClientSession, env: [String: String], paths: B00tPaths) async throws -> [String: Double] {
        var figures: [String: Double] = [:]
        let inbox = Inbox()
        await session.client.onNotification(LogMessageNotification.self) { message in
            inbox.deliver(message.params.data.objectValue?["event"]?.objectValue?["body"]?.objectValue?["message"]?
                .objectValue?["text"]?.stringValue)
        }
        let (status, say) = try await roundTrips(session)
        figures["mcp_tool_call_crew_status_p50_us"] = percentile(status, 50)
        figures["mcp_tool_call_crew_status_p99_us"] = percentile(status, 99)
        figures["mcp_tool_call_say_p50_us"] = percentile(say, 50)
        figures["mcp_tool_call_say_p99_us"] = percentile(say, 99)
        figures["mcp_tool_call_p50_us"] = percentile(status + say, 50)
        figures["mcp_tool_call_p99_us"] = percentile(status + say, 99)

        // A human on the same daemon speaks to the assistant: command submitted → notification read.
        let human = try await BusConnector.connect(agent: "bench-human", paths: paths, environment: env)
        do {
            try await human.submit(.register(agent: BusAgent(id: "bench-human", role: "human")))
            var latencies: [Double] = []
            for i in 0..<(probes + 20) {
                let text = "probe \(i)"
                let arrived = inbox.expect(text)
                let t0 = DispatchTime.now().uptimeNanoseconds
                try await human.submit(.say(from: "bench-human", crew: nil, to: "bench-mcp", text: text))
                guard let t1 = await arrived.value else { throw BenchError("no notification for '\(text)' within 5 s") }
                if i >= 20 { latencies.append(Double(t1 - t0) / 1_000_000) }
            }
            figures["mcp_notify_latency_ms"] = percentile(latencies, 50)
            figures["mcp_notify_latency_ms_p99"] = percentile(latencies, 99)
        } catch {
            await human.close()
            throw error
        }
        await human.close()
        await session.close()

        // The peer: the same server on the SDK's StdioTransport.
        let sdkServe = MCPStdioMethod(command: b00t, args: ["mcp", "serve", "--as", "bench-sdk", "--stdio", "sdk"])
        let sdk = try await MCPClientSession.start(sdkServe, environment: env, paths: paths, clientName: "b00t-bench")
        do {
            let (sdkStatus, sdkSay) = try await roundTrips(sdk, count: calls / 4)
            figures["mcp_tool_call_sdk_stdio_p50_us"] = percentile(sdkStatus + sdkSay, 50)
            figures["mcp_tool_call_sdk_stdio_p99_us"] = percentile(sdkStatus + sdkSay, 99)
        } catch {
            await sdk.close()
            throw error
        }
        await sdk.close()
        return figures
    }

    /// `crew_status` and `say` one at a time, as an assistant calls them, after a warm-up; µs each.
    static func roundTrips(_ session: MCPClientSession, count: Int = calls) async throws -> (status: [Double], say: [Double]) {
        for i in 0..<100 {
            _ = try await session.call("crew_status", arguments: [:])
            _ = try await session.call("say", arguments: ["text": .string("warm-up \(i)")])
        }
        var status: [Double] = [], say: [Double] = []
        for i in 0..<count {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let read = try await session.call("crew_status", arguments: [:])
            let t1 = DispatchTime.now().uptimeNanoseconds
            let wrote = try await session.call("say", arguments: ["text": .string("round trip \(i)")])
            let t2 = DispatchTime.now().uptimeNanoseconds
            for result in [read, wrote] where result.isError == true {
                throw BenchError("a tool call was refused: \(result.content)")
            }
            status.append(Double(t1 - t0) / 1_000)
            say.append(Double(t2 - t1) / 1_000)
        }
        return (status, say)
    }

    static func percentile(_ values: [Double], _ p: Int) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, sorted.count * p / 100)]
    }

    /// Hands each notification's text, with the time it was read, to whoever registered for it first.
    final class Inbox: @unchecked Sendable {
        private let lock = NSLock()
        private var waiting: [String: Arrival] = [:]

        func expect(_ text: String) -> Arrival {
            let arrival = Arrival()
            lock.withLock { waiting[text] = arrival }
            return arrival
        }

        func deliver(_ text: String?) {
            let now = DispatchTime.now().uptimeNanoseconds
            guard let text, let arrival = lock.withLock({ waiting.removeValue(forKey: text) }) else { return }
            arrival.arrive(now)
        }
    }

    /// One expected notification: the time it was read, or nil after 5 s.
    final class Arrival: @unchecked Sendable {
        private let lock = NSLock()
        private var time: UInt64?
        private var done = false
        private var continuation: CheckedContinuation<UInt64?, Never>?

        func arrive(_ at: UInt64?) {
            let waiter = lock.withLock { () -> CheckedContinuation<UInt64?, Never>? in
                guard !done else { return nil }
                done = true
                time = at
                defer { continuation = nil }
                return continuation
            }
            waiter?.resume(returning: at)
        }

        var value: UInt64? {
            get async {
                let timer = Task { [weak self] in
                    try? await Task.sleep(for: .seconds(5))
                    self?.arrive(nil)
                }
                defer { timer.cancel() }
                return await withCheckedContinuation { (continuation: CheckedContinuation<UInt64?, Never>) in
                    let ready = lock.withLock { () -> Bool in
                        if done { return true }
                        self.continuation = continuation
                        return false
                    }
                    if ready { continuation.resume(returning: lock.withLock { time }) }
                }
            }
        }
    }
}
