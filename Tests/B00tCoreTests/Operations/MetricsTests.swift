import B00tTestSupport
import Foundation
import Prometheus
import Testing
@testable import B00tCore

/// The text Prometheus would scrape, as `metric{labels}` → value.
func scrape(_ registry: PrometheusCollectorRegistry) -> [String: Double] {
    var samples: [String: Double] = [:]
    for line in registry.emitToString().split(separator: "\n") where !line.hasPrefix("#") {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
        samples[String(line[..<space])] = value
    }
    return samples
}

@Suite struct BusMetricsTests {
    @Test(arguments: BackendKind.allCases)
    func appendsByKindRefusalsByCodeAndLatencyByBackend(_ kind: BackendKind) async throws {
        let registry = PrometheusCollectorRegistry()
        let store = try kind.make()
        let bus = try await MessageBus(backend: store.backend, metrics: B00tMetrics.factory(registry: registry))
        try await bus.register(BusAgent(id: "dev1"))
        try await bus.register(BusAgent(id: "dev2"))
        for n in 0..<3 { try await bus.say(from: "dev1", "hello \(n)") }
        try await bus.submit([.say(from: "dev2", crew: nil, to: nil, text: "a"), .say(from: "dev2", crew: nil, to: nil, text: "b"),
                              .register(agent: BusAgent(id: "dev3"))])
        await #expect(throws: BusError.self) { try await bus.say(from: "ghost", "who am I") }
        await #expect(throws: BusError.self) { try await bus.submit(.vote(from: "dev1", proposal: "nope", choice: .yes)) }
        let samples = scrape(registry)
        #expect(samples[#"b00t_bus_events_appended_total{kind="message"}"#] == 5)
        #expect(samples[#"b00t_bus_events_appended_total{kind="agent_registered"}"#] == 3)
        let refusals = samples.filter { $0.key.hasPrefix("b00t_bus_refusals_total") }
        #expect(refusals.values.reduce(0, +) == 2, "\(refusals)")
        let backend = BusMetrics.backendKind(store.backend.label)
        #expect(samples[#"b00t_bus_append_duration_seconds_count{backend="\#(backend)"}"#] == 6, "one per transaction")
        #expect(samples["b00t_bus_events_since_snapshot"] != nil)
    }

    @Test func groupCommitCountsEveryCallersEvents() async throws {
        let registry = PrometheusCollectorRegistry()
        let bus = try await MessageBus(backend: MemoryBusBackend(), metrics: B00tMetrics.factory(registry: registry))
        try await bus.register(BusAgent(id: "w"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<200 { group.addTask { try await bus.say(from: "w", "m\(n)") } }
            try await group.waitForAll()
        }
        #expect(scrape(registry)[#"b00t_bus_events_appended_total{kind="message"}"#] == 200)
    }

    @Test func backendLabelsNeverCarryAPath() {
        #expect(BusMetrics.backendKind("sqlite:/home/me/.b00t/bus.sqlite") == "sqlite")
        #expect(BusMetrics.backendKind("redis://10.0.0.1:6379/0") == "redis")
        #expect(BusMetrics.backendKind("memory") == "memory")
        #expect(BusMetrics.backendKind("") == "other")
    }
}

@Suite struct MetricsEndpointTests {
    @Test func servesTheRegistryAtSlashMetricsAndNothingElse() async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "b00t", metricName: "test", unitName: "total", helpText: "")).increment(by: Int64(7))
        let endpoint = try await MetricsEndpoint.start(at: MetricsAddress(host: "127.0.0.1", port: 0), registry: registry)
        let port = endpoint.address.port
        #expect(port > 0)
        let ok = try await offPool { try HTTPGet.get(port: port, path: "/metrics") }
        #expect(ok.status == 200)
        #expect(ok.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        #expect(ok.body.contains("b00t_test_total 7"))
        let query = try await offPool { try HTTPGet.get(port: port, path: "/metrics?x=1") }
        #expect(query.status == 200)
        #expect(try await offPool { try HTTPGet.get(port: port, path: "/") }.status == 404)
        #expect(try await offPool { try HTTPGet.get(port: port, path: "/metrics", method: "POST") }.status == 405)
        await endpoint.stop()
        #expect(throws: HTTPGet.Failure.self) { try HTTPGet.get(port: port, path: "/metrics") }
    }

    @Test func aTakenPortIsAClearError() async throws {
        let registry = PrometheusCollectorRegistry()
        let first = try await MetricsEndpoint.start(at: MetricsAddress(host: "127.0.0.1", port: 0), registry: registry)
        defer { Task { await first.stop() } }
        do {
            _ = try await MetricsEndpoint.start(at: first.address, registry: registry)
            Issue.record("bound a taken port")
        } catch {
            #expect(error.description.contains("cannot serve /metrics on 127.0.0.1:\(first.address.port)"))
        }
    }

    @Test func addressesAreLoopbackUnlessAllowed() throws {
        #expect(try MetricsAddress.parse("127.0.0.1:9464") == MetricsAddress(host: "127.0.0.1", port: 9464))
        #expect(try MetricsAddress.parse(":0") == MetricsAddress(host: "127.0.0.1", port: 0))
        #expect(try MetricsAddress.parse("[::1]:9464").description == "[::1]:9464")
        #expect(throws: MetricsAddressError.notLoopback("0.0.0.0")) { try MetricsAddress.parse("0.0.0.0:9464") }
        #expect(try MetricsAddress.parse("0.0.0.0:9464", allowRemote: true).port == 9464)
        #expect(throws: MetricsAddressError.badPort("99999")) { try MetricsAddress.parse("127.0.0.1:99999") }
        #expect(throws: MetricsAddressError.badPort("x")) { try MetricsAddress.parse("127.0.0.1:x") }
        #expect(throws: MetricsAddressError.malformed("9464")) { try MetricsAddress.parse("9464") }
        #expect(throws: MetricsAddressError.malformed("::1:9464")) { try MetricsAddress.parse("::1:9464") }
    }
}
