import CoreMetrics
import Foundation

/// What a `MessageBus` reports through swift-metrics: events appended by kind, how long the backend's appends
/// take, refusals by error code, and how far the log has run past the last stored snapshot. Without a metrics
/// backend (swift-metrics' default) every handle is a no-op; with Prometheus each is an atomic add.
///
/// Cost matters (appends reach millions a second in memory): a batch is counted per run of equal kinds, not per
/// event, and handles are created once per kind and cached — the owning actor holds this struct, so the
/// caches need no lock.
struct BusMetrics {
    let factory: any MetricsFactory
    let backend: String
    private var appendedByKind: [String: Counter] = [:]
    private var refusalsByCode: [String: Counter] = [:]
    private let appendDuration: CoreMetrics.Timer
    private let eventsSinceSnapshot: Gauge
    private let snapshotSeq: Gauge

    init(backendLabel: String, factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
        backend = Self.backendKind(backendLabel)
        appendDuration = CoreMetrics.Timer(label: "b00t_bus_append_duration_seconds", dimensions: [("backend", backend)],
                                           preferredDisplayUnit: .seconds, factory: factory)
        eventsSinceSnapshot = Gauge(label: "b00t_bus_events_since_snapshot", factory: factory)
        snapshotSeq = Gauge(label: "b00t_bus_snapshot_seq", factory: factory)
    }

    /// `sqlite:/path` → `sqlite`, `redis://h:6379/0` → `redis`: a label value, never a path.
    static func backendKind(_ label: String) -> String {
        let head = label.prefix { $0 != ":" && $0 != " " }
        return head.isEmpty ? "other" : String(head)
    }

    mutating func appended(_ events: some Collection<BusEvent>, took duration: Duration?) {
        if let duration { appendDuration.recordInterval(duration) }
        var runKind: String?
        var run = 0
        for event in events {
            let kind = event.body.kind
            if kind == runKind { run += 1; continue }
            if let runKind { counter(kind: runKind).increment(by: run) }
            runKind = kind
            run = 1
        }
        if let runKind { counter(kind: runKind).increment(by: run) }
    }

    private mutating func counter(kind: String) -> Counter {
        if let known = appendedByKind[kind] { return known }
        let made = Counter(label: "b00t_bus_events_appended_total", dimensions: [("kind", kind)], factory: factory)
        appendedByKind[kind] = made
        return made
    }

    /// A refusal (or any failure) a submit answered with, by its stable code.
    mutating func refused(_ error: any Error) {
        let code = (error as? BusError)?.code ?? "internal"
        if let known = refusalsByCode[code] { return known.increment() }
        let made = Counter(label: "b00t_bus_refusals_total", dimensions: [("code", code)], factory: factory)
        refusalsByCode[code] = made
        made.increment()
    }

    func snapshot(lastSeq: UInt64, snapshotSeq stored: UInt64) {
        eventsSinceSnapshot.record(Double(lastSeq &- min(stored, lastSeq)))
        snapshotSeq.record(Double(stored))
    }
}

extension CoreMetrics.Timer {
    func recordInterval(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanos.overflow else { return recordNanoseconds(Int64.max) }
        recordNanoseconds(nanos.partialValue &+ attoseconds / 1_000_000_000)
    }
}
