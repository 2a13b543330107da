import B00tCore
import CoreMetrics
import Prometheus
import Foundation

/// Bus throughput and recovery figures.
enum BusBenchmark {
    static func commands(_ n: Int, from agent: String) -> [BusCommand] {
        (0..<n).map { .say(from: agent, crew: nil, to: nil, text: "message \($0)") }
    }

    /// Commands per second through `MessageBus.submit` (validate + fold + append) in batches of `batch`.
    static func appendRate(backend: any BusBackend, total: Int, batch: Int,
                           metrics: (any MetricsFactory)? = nil) async throws -> Double {
        let bus = try await MessageBus(backend: backend, metrics: metrics ?? NOOPMetricsHandler.instance)
        try await bus.register(BusAgent(id: "bench"))
        let batches = (0..<(total / batch)).map { _ in commands(batch, from: "bench") }
        let start = DispatchTime.now().uptimeNanoseconds
        for commands in batches { try await bus.submit(commands) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(total) / seconds
    }

    /// Events per second in total from `submitters` tasks each submitting one command at a time to one bus.
    /// Also how many events went in one transaction, on average (group commit at work).
    static func concurrentRate(backend: any BusBackend, submitters: Int, total: Int) async throws
        -> (perSecond: Double, eventsPerTransaction: Double) {
        let bus = try await MessageBus(backend: backend)
        for i in 0..<submitters { try await bus.register(BusAgent(id: "bench-\(i)")) }
        let each = total / submitters
        let before = await bus.inlineTransactions + bus.waitedTransactions
        let start = DispatchTime.now().uptimeNanoseconds
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<submitters {
                group.addTask {
                    for n in 0..<each { try await bus.submit([.say(from: "bench-\(i)", crew: nil, to: nil, text: "message \(n)")]) }
                }
            }
            try await group.waitForAll()
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let transactions = await bus.inlineTransactions + bus.waitedTransactions - before
        return (Double(each * submitters) / seconds, Double(each * submitters) / Double(max(1, transactions)))
    }

    /// The bulk-writer path: groups of `depth` batches handed to the backend pipelined.
    static func pipelinedRate(backend: any BusBackend, total: Int, batch: Int, depth: Int) async throws -> Double {
        let bus = try await MessageBus(backend: backend)
        try await bus.register(BusAgent(id: "bench"))
        let groups = (0..<(total / (batch * depth))).map { _ in (0..<depth).map { _ in commands(batch, from: "bench") } }
        let start = DispatchTime.now().uptimeNanoseconds
        for group in groups { try await bus.submitPipelined(group) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(total) / seconds
    }

    /// Opening a bus over an existing 100k-event SQLite log and folding all of it (no snapshot), in ms.
    static func recoverMs(path: String) async throws -> Double {
        var samples: [Double] = []
        for _ in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            let bus = try await MessageBus(backend: try SQLiteBusBackend(path: path), snapshots: .never)
            let seq = await bus.state.lastSeq
            precondition(seq >= 100_000)
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        return median(samples)
    }

    /// Opening a 1,000,000-event SQLite bus (a crew's history: chat, 100 agents, an ahoy and a proposal every
    /// 1,000 events): as a process finds it after a crash (the last background snapshot and a tail just short of
    /// the next one), after a clean stop (snapshot, no tail), and by folding the whole log (the old way), in ms.
    static func openFigures(dir: String) async throws -> [String: Double] {
        let path = dir + "/million.sqlite"
        let writer = try await MessageBus(backend: try SQLiteBusBackend(path: path))
        try await writer.submit((0..<100).map { .register(agent: BusAgent(id: "agent-\($0)", skills: ["rust": 0.6])) })
        var written = 100
        while written < 1_000_000 {
            var batch = commands(999, from: "agent-\(written % 100)")
            batch.append(written % 2_000 < 1_000
                ? .postAhoy(from: "agent-1", role: "dev", description: "job \(written)", requiredSkills: ["rust"], budget: 10, replyBy: nil)
                : .propose(from: "agent-2", text: "plan \(written)", crew: nil, threshold: nil, quorum: nil))
            written += try await writer.submit(batch).count
        }
        await writer.waitForSnapshot()
        // The worst case short of the next snapshot: a tail just under the interval, as a crash would leave it.
        try await writer.submit(commands(Int(SnapshotPolicy.standard.every) - 1, from: "agent-7"))
        func openMs(_ policy: SnapshotPolicy) async throws -> (ms: Double, tail: UInt64) {
            var samples: [Double] = [], tail: UInt64 = 0
            for _ in 0..<(policy.load ? 5 : 1) {
                let start = DispatchTime.now().uptimeNanoseconds
                let bus = try await MessageBus(backend: try SQLiteBusBackend(path: path), snapshots: SnapshotPolicy(every: 0, load: policy.load))
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                let recovery = await bus.recovery
                let last = await bus.state.lastSeq
                precondition(last >= 1_000_000 && recovery.rejected.isEmpty, "\(recovery)")
                tail = recovery.tailEvents
            }
            return (median(samples), tail)
        }
        var figures: [String: Double] = [:]
        let afterCrash = try await openMs(.standard)
        figures["bus_open_ms_1m"] = afterCrash.ms
        figures["bus_open_1m_tail_events"] = Double(afterCrash.tail)
        try await writer.saveSnapshot()
        figures["bus_open_ms_1m_clean"] = try await openMs(.standard).ms
        let fullFold = try await openMs(.never).ms
        figures["bus_open_ms_1m_full_fold"] = fullFold
        figures["bus_open_1m_vs_full_fold"] = afterCrash.ms / fullFold
        return figures
    }

    /// One command per transaction, from one submitter and from eight, beside the raw C loop. Ours and the
    /// raw loop alternate, three rounds each on fresh files, medians compared: the machine is shared, and a
    /// neighbour's burst should hit both sides alike. `B00T_BENCH_ONLY=appends` runs only these.
    static func singleCommandFigures(dir: String) async throws -> [String: Double] {
        var figures: [String: Double] = [:]
        var ours: [Double] = [], eight: [Double] = [], raw: [Double] = [], grouped: [Double] = []
        for round in 0..<3 {
            ours.append(try await appendRate(
                backend: try SQLiteBusBackend(path: dir + "/single-\(round).sqlite", synchronous: .normal), total: 20_000, batch: 1))
            raw.append(SQLitePeer.appendsPerSecond(path: dir + "/peer-\(round).sqlite", total: 20_000))
            let crowd = try await concurrentRate(
                backend: try SQLiteBusBackend(path: dir + "/eight-\(round).sqlite", synchronous: .normal), submitters: 8, total: 40_000)
            eight.append(crowd.perSecond)
            grouped.append(crowd.eventsPerTransaction)
        }
        figures["bus_append_per_s_sqlite_unbatched"] = median(ours)
        figures["sqlite_raw_c_appends_per_s"] = median(raw)
        figures["bus_append_sqlite_unbatched_vs_raw_c"] = median(ours) / median(raw)
        // Group commit: eight callers, one command each per call, ≥ 50k/s in total (goal 1).
        figures["bus_append_per_s_sqlite_8_submitters"] = median(eight)
        figures["bus_append_sqlite_8_submitters_vs_raw_c"] = median(eight) / median(raw)
        figures["bus_append_8_submitters_events_per_transaction"] = median(grouped)
        return figures
    }

    static func run() async throws -> [String: Double] {
        var figures: [String: Double] = [:]
        // Metrics off (swift-metrics' no-op) and on (a Prometheus registry), alternating, medians compared.
        var off: [Double] = [], on: [Double] = []
        for _ in 0..<3 {
            off.append(try await appendRate(backend: MemoryBusBackend(), total: 1_000_000, batch: 1_000))
            let registry = PrometheusCollectorRegistry()
            on.append(try await appendRate(backend: MemoryBusBackend(), total: 1_000_000, batch: 1_000,
                                           metrics: B00tMetrics.factory(registry: registry)))
        }
        figures["bus_append_per_s_memory"] = median(off)
        figures["bus_append_per_s_memory_metrics_on"] = median(on)
        figures["bus_append_memory_metrics_on_vs_off"] = median(on) / median(off)
        figures["bus_append_per_s_memory_unbatched"] = try await appendRate(backend: MemoryBusBackend(), total: 100_000, batch: 1)
        let dir = NSTemporaryDirectory() + "b00t-bench-bus-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        figures["bus_append_per_s_sqlite"] = try await appendRate(
            backend: try SQLiteBusBackend(path: dir + "/normal.sqlite", synchronous: .normal), total: 100_000, batch: 1_000)
        figures["bus_append_per_s_sqlite_full"] = try await appendRate(
            backend: try SQLiteBusBackend(path: dir + "/full.sqlite", synchronous: .full), total: 100_000, batch: 1_000)
        figures.merge(try await singleCommandFigures(dir: dir)) { $1 }
        figures["bus_recover_ms_per_100k"] = try await recoverMs(path: dir + "/normal.sqlite")
        figures.merge(try await openFigures(dir: dir)) { $1 }
        return figures
    }
}
