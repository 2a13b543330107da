/// Per-connection rate limit: `rate` messages a second on average, bursts up to `burst`. A rate of 0 means
/// unlimited (for benchmarks and trusted local tools).
struct TokenBucket {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var last: ContinuousClock.Instant

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(burst, 1)
        self.tokens = max(burst, 1)
        self.last = .now
    }

    /// Takes `cost` tokens if available.
    mutating func take(_ cost: Double = 1, now: ContinuousClock.Instant = .now) -> Bool {
        guard rate > 0 else { return true }
        let elapsed = now - last
        last = max(last, now)
        // An instant before the last one (callers passing their own `now`) refills nothing; it never drains.
        let seconds = max(0, elapsed.seconds)
        tokens = min(burst, tokens + seconds * rate)
        guard tokens >= cost else { return false }
        tokens -= cost
        return true
    }

    /// Gives back what `take` took for a request that was then handled elsewhere (and is taken for there).
    mutating func refund(_ cost: Double = 1) {
        guard rate > 0 else { return }
        tokens = min(burst, tokens + cost)
    }
}
