#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation

/// The daemon the way a crew uses it (issue 18, goal 6): the default SQLite store, 4 clients each sending one
/// `say` per request at 150/s, 2 live subscribers, for `B00T_SOAK_SECONDS` (20). Reports the daemon's CPU per
/// delivered event and how its RSS moves from 10,000 events to 1,000,000 with the subscribers connected
/// throughout, then while a new subscriber streams the whole log from seq 0.
///
/// What a delivery costs is the daemon's CPU per event with the subscribers, less the same on a twin daemon
/// (same store, same 10,000 events, same traffic) that nobody listens to, over `rounds` rounds that alternate
/// between the two. Why a twin: measured once before and once after on one daemon, the reference ran on a
/// colder daemon and a shorter log, and the difference of the two (~0.2 cores each) swung from 0 to 50 µs.
enum SoakBenchmark {
    static let rounds = 4

    static func run() async throws -> [String: Double] {
        let dir = NSTemporaryDirectory() + "b00t-bench-soak-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let daemon = try Daemon(dir: dir + "/bus", store: "sqlite")
        defer { daemon.stop() }
        let twin = try Daemon(dir: dir + "/twin", store: "sqlite")
        defer { twin.stop() }
        var figures: [String: Double] = [:]

        let publisher = try await BusClient.connect(daemon.endpoint)
        try await publisher.request("hello", ["agent": "filler"])
        try await publisher.request("register")
        let seconds = Double(ProcessInfo.processInfo.environment["B00T_SOAK_SECONDS"].flatMap(Int.init) ?? 20)

        let base = try await publisher.request("say", ["text": "soak 0"]).events?.last?.seq ?? 0
        let live = (0..<2).map { LineCounter(path: daemon.endpoint.socketPath, agent: "watch\($0)", after: base) }
        for s in live { s.waitUntilSubscribed() }
        var delivered = 0  // events after `base` every live subscriber has to see (a lower bound: presence too)

        // 10,000 events in, everything delivered: the reference size. The twin gets as many.
        delivered += try await fill(publisher, events: max(0, 10_000 - Int(base)))
        for s in live { _ = s.waitFor(events: delivered) }
        let rss10k = residentBytes(daemon.pid)
        let twinFiller = try await BusClient.connect(twin.endpoint)
        try await twinFiller.request("hello", ["agent": "filler"])
        try await twinFiller.request("register")
        _ = try await fill(twinFiller, events: 10_000)
        await twinFiller.close()

        // The realistic shape, alternating between the watched daemon and its twin; a short unmeasured round
        // on each first (connections, caches).
        _ = try await pacedTraffic(daemon.endpoint, daemon: daemon, seconds: 1, round: 0)
        _ = try await pacedTraffic(twin.endpoint, daemon: twin, seconds: 1, round: 0)
        delivered += 4 * 150 + 4
        var watched = Traffic(), alone = Traffic()
        for round in 1...rounds {
            let slice = seconds / Double(rounds)
            // Each order half the time, so a drift of the machine's load falls on both sides alike.
            if round % 2 == 1 {
                watched.add(try await pacedTraffic(daemon.endpoint, daemon: daemon, seconds: slice, round: round))
                alone.add(try await pacedTraffic(twin.endpoint, daemon: twin, seconds: slice, round: round))
            } else {
                alone.add(try await pacedTraffic(twin.endpoint, daemon: twin, seconds: slice, round: round))
                watched.add(try await pacedTraffic(daemon.endpoint, daemon: daemon, seconds: slice, round: round))
            }
        }
        delivered += watched.events
        for s in live { _ = s.waitFor(events: delivered) }
        figures["soak_events"] = Double(watched.events)
        figures["soak_daemon_cores"] = watched.cores
        figures["soak_daemon_cores_no_subscribers"] = alone.cores
        // What delivering costs on top of appending: per event, with the subscribers less without, per subscriber.
        let perEventWatched = watched.cpu / Double(max(watched.events, 1))
        let perEventAlone = alone.cpu / Double(max(alone.events, 1))
        figures["soak_cpu_us_per_delivered_event"] = max(0, perEventWatched - perEventAlone) / Double(live.count)
        figures["soak_cpu_us_per_event_incl_append"] = perEventWatched
        figures["soak_cpu_us_per_event_no_subscribers"] = perEventAlone
        twin.stop()

        // To 1,000,000 with the subscribers connected throughout.
        let total = 1_000_000
        let now = Int(base) + delivered
        delivered += try await fill(publisher, events: total - now)
        for s in live { _ = s.waitFor(events: delivered) }
        let rss1m = residentBytes(daemon.pid)
        figures["soak_rss_mb_10k"] = Double(rss10k) / 1e6
        figures["soak_rss_mb_1m"] = Double(rss1m) / 1e6
        figures["soak_rss_1m_vs_10k"] = Double(rss1m) / Double(max(rss10k, 1))
        figures["soak_rss_growth_bytes_per_event"] = (Double(rss1m) - Double(rss10k)) / Double(total - 10_000)

        // A newcomer reads the whole log from the start.
        let replay = LineCounter(path: daemon.endpoint.socketPath, agent: "replay", after: 0)
        replay.waitUntilSubscribed()
        let began = DispatchTime.now().uptimeNanoseconds
        let done = replay.waitFor(events: Int(base) + delivered)
        figures["soak_replay_1m_events_per_s"] = Double(Int(base) + delivered) / (Double(done - began) / 1e9)
        figures["soak_rss_after_replay_vs_10k"] = Double(residentBytes(daemon.pid)) / Double(max(rss10k, 1))
        await publisher.close()
        return figures
    }

    /// Events acknowledged and the daemon's CPU and wall time, summed over rounds.
    struct Traffic {
        var events = 0
        var cpu = 0.0
        var wall = 0.0
        var cores: Double { cpu / 1e6 / max(wall, 1e-9) }

        mutating func add(_ round: Traffic) {
            events += round.events
            cpu += round.cpu
            wall += round.wall
        }
    }

    /// 4 clients × 150 says a second for `seconds`: events acknowledged, the daemon's CPU (µs) and wall time.
    static func pacedTraffic(_ endpoint: BusEndpoint, daemon: Daemon, seconds: Double, round: Int) async throws -> Traffic {
        let cpuBefore = cpuMicroseconds(daemon.pid)
        let wallBefore = ContinuousClock.now
        let acknowledged = try await withThrowingTaskGroup(of: Int.self) { group in
            for i in 0..<4 {
                group.addTask { try await paced(endpoint, agent: "soak\(round)-\(i)", perSecond: 150, seconds: seconds) }
            }
            return try await group.reduce(0, +)
        }
        let wall = (ContinuousClock.now - wallBefore).seconds
        let cpu = cpuMicroseconds(daemon.pid) - cpuBefore
        // Each client's register is an event too.
        return Traffic(events: acknowledged + 4, cpu: cpu, wall: wall)
    }

    /// Appends `events` says in batches of 1,000, four batches in flight; returns how many.
    static func fill(_ client: BusClient, events: Int) async throws -> Int {
        guard events > 0 else { return 0 }
        let batch = 1_000
        let batches = (events + batch - 1) / batch
        try await withThrowingTaskGroup(of: Void.self) { group in
            for b in 0..<batches {
                if b >= 4 { try await group.next() }
                let size = min(batch, events - b * batch)
                group.addTask {
                    let cmds: [[String: Any]] = (0..<size).map { ["op": "say", "text": "fill \(b * batch + $0)"] }
                    try await client.request("batch", ["cmds": cmds])
                }
            }
            try await group.waitForAll()
        }
        return events
    }

    /// One client: hello, register, then one `say` per request at `perSecond` for `seconds`; returns the says
    /// acknowledged.
    static func paced(_ endpoint: BusEndpoint, agent: String, perSecond: Int, seconds: Double) async throws -> Int {
        let client = try await BusClient.connect(endpoint)
        try await client.request("hello", ["agent": agent])
        try await client.request("register")
        let count = Int(Double(perSecond) * seconds)
        let start = ContinuousClock.now
        let gap = Duration.seconds(1) / perSecond
        for n in 0..<count {
            let due = start + gap * n
            if due > .now { try await Task.sleep(until: due, clock: .continuous) }
            try await client.request("say", ["text": "\(agent) says \(n)"])
        }
        await client.close()
        return count
    }

    /// utime + stime of `pid`, in microseconds.
    static func cpuMicroseconds(_ pid: pid_t) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return .nan }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime 14, stime 15 (1-based over the whole line).
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK))) * 1e6
    }

    static func residentBytes(_ pid: pid_t) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
