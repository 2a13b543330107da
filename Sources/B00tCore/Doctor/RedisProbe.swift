import Foundation

/// The bus `$B00T_BUS_URL` names, when it names one: a value b00t would refuse is a failure here too, and a
/// Redis bus gets `RedisDoctor`'s checks (reachable, password, version, clocks, persistence, keys) — the
/// same as `b00t bus doctor`, under ids that start with `redis.`.
public struct BusURLProbe: DoctorProbe {
    public let id = "redis"
    public var environment: [String: String]
    /// Runs RedisDoctor (tests pass a stub; the real one connects with hiredis, 2 s to connect).
    public var redisCheck: @Sendable (RedisURL) -> [DoctorCheck]

    public init(environment: [String: String], redisCheck: @escaping @Sendable (RedisURL) -> [DoctorCheck] = { RedisDoctor.check($0) }) {
        self.environment = environment
        self.redisCheck = redisCheck
    }

    public func timedOut(after timeout: Duration) -> DoctorCheck {
        DoctorCheck("redis.reachable", .fail, "the Redis bus did not answer within \(Doctor.seconds(timeout))",
                    fix: "is redis-server running and reachable from here? (`b00t bus doctor` checks it in detail)")
    }

    public func run() async -> [DoctorCheck] {
        guard let text = environment["B00T_BUS_URL"], !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            return [DoctorCheck(id, .ok, "no Redis bus configured ($B00T_BUS_URL is unset: the daemon's SQLite log is the bus)")]
        }
        let url: BusURL
        do {
            url = try BusURL(parsing: text)
        } catch {
            return [DoctorCheck("bus.url", .fail, "$B00T_BUS_URL: \(error.description)",
                                fix: "set it to one of: \(BusURL.forms), or unset it")]
        }
        guard case .redis(let redis) = url else {
            return [DoctorCheck(id, .ok, "no Redis bus configured ($B00T_BUS_URL is \(url))")]
        }
        let check = redisCheck
        return await Doctor.offThread { check(redis) }.map { found in
            var line = found
            if !line.name.hasPrefix("redis.") { line.name = "redis." + line.name }
            return line
        }
    }
}
