import CoreMetrics
import Prometheus
import Synchronization

/// The process's Prometheus registry behind swift-metrics. Processes that serve `/metrics` call `enable()`
/// before they create buses or orchestrators (swift-metrics binds a handle to the backend when it is made);
/// everything else keeps swift-metrics' no-op default, so metrics cost nothing where nobody scrapes them.
public enum B00tMetrics {
    /// Buckets sized for what b00t times: a bus append is microseconds, an ensure up to a minute.
    public static let appendBuckets: [Duration] = [
        .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]
    public static let ensureBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
        .seconds(5), .seconds(10), .seconds(30), .seconds(60),
    ]

    /// A factory over `registry` with b00t's buckets.
    public static func factory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "b00t_bus_append_duration_seconds": appendBuckets,
            "b00t_orchestrator_ensure_duration_seconds": ensureBuckets,
        ]
        return factory
    }

    private static let enabled = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Installs Prometheus as the process's metrics backend (once) and returns its registry.
    @discardableResult
    public static func enable() -> PrometheusCollectorRegistry {
        enabled.withLock { current in
            if let current { return current }
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(factory(registry: registry))
            current = registry
            return registry
        }
    }

    /// The registry, when `enable()` ran.
    public static var registry: PrometheusCollectorRegistry? { enabled.withLock { $0 } }
}
