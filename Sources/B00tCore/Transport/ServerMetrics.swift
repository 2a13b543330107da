import CoreMetrics

/// What the socket server reports: open connections and live subscribers (gauges that go up and down),
/// requests refused by the rate limit, and readers cut off for not reading their stream.
struct ServerMetrics: Sendable {
    let connections: Meter
    let subscribers: Meter
    let rateLimited: Counter
    let slowConsumerDisconnects: Counter

    init(factory: any MetricsFactory = MetricsSystem.factory) {
        connections = Meter(label: "b00t_bus_connections", factory: factory)
        subscribers = Meter(label: "b00t_bus_subscribers", factory: factory)
        rateLimited = Counter(label: "b00t_bus_rate_limited_total", factory: factory)
        slowConsumerDisconnects = Counter(label: "b00t_bus_slow_consumer_disconnects_total", factory: factory)
    }
}
