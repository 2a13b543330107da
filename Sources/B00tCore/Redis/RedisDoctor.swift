import Foundation

/// Checks a Redis that carries (or will carry) a crew's bus, from the host that runs this: can we reach it,
/// does it accept our credentials, do our clocks agree, will it keep the log across a restart, and are the
/// bus's keys what b00t expects. Run it on every host of a crew (`b00t bus doctor --bus redis://…`).
public enum RedisDoctor {
    /// Event timestamps come from each writer's clock: more than this apart and the stream reads out of order.
    public static let skewWarning: Double = 1.0

    public static func check(_ url: RedisURL, now: @Sendable () -> Date = { Date() }) -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let started = ContinuousClock.now
        let connection: RedisConnection
        do {
            connection = try RedisConnection(url, timeout: .seconds(2), ioTimeout: .seconds(3))
        } catch let error as BusError where error.description.contains("SELECT") {
            return [DoctorCheck("redis.db", .fail, "\(url) has no database \(url.db): \(error)",
                                fix: "use a database this Redis has (0–15 unless its `databases` setting says more): redis://HOST:PORT/0")]
        } catch let error as BusError {
            return [DoctorCheck("redis.auth", .fail, "\(url) answered but refused us: \(error)",
                                fix: "put the password in the URL (redis://:PASSWORD@host:port/db, or user:password@ for an ACL user) or in REDISCLI_AUTH")]
        } catch {
            return [DoctorCheck("redis.reachable", .fail, "cannot reach \(url.host):\(url.port): \(error)",
                                fix: "is redis-server running there, bound to an address this host can reach (bind), with the port open?")]
        }
        guard let pong = try? connection.command(["PING"]) else {
            return [DoctorCheck("redis.reachable", .fail, "\(url.host):\(url.port) accepted the connection but did not answer PING")]
        }
        let elapsed = ContinuousClock.now - started
        if case .error(let e) = pong {
            let needsPassword = e.contains("NOAUTH")
            return [DoctorCheck("redis.auth", .fail, "\(url.host):\(url.port) says: \(e)",
                                fix: needsPassword ? "this Redis wants a password: redis://:PASSWORD@\(url.host):\(url.port)/\(url.db)" : nil)]
        }
        let ms = elapsed.milliseconds
        checks.append(DoctorCheck("redis.reachable", .ok, String(format: "%@:%d answered in %.1f ms", url.host, url.port, ms)))
        if url.password == nil && !isLoopback(url.host) {
            checks.append(DoctorCheck("redis.auth", .warn, "\(url.host):\(url.port) takes commands without a password",
                                      fix: "anyone who reaches it can write to the crew's bus: set requirepass (or an ACL user) and use redis://:PASSWORD@…"))
        } else {
            checks.append(DoctorCheck("redis.auth", .ok, url.password == nil ? "loopback, no password" : "password accepted"))
        }
        if case .string(let bytes)? = try? connection.command(["INFO", "server"]) {
            let info = String(decoding: bytes, as: UTF8.self)
            let version = info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("redis_version:") }.map { String($0.dropFirst(14)) } ?? "?"
            let major = Int(version.split(separator: ".").first ?? "") ?? 0
            checks.append(major >= 5
                ? DoctorCheck("redis.version", .ok, "Redis \(version) (streams supported)")
                : DoctorCheck("redis.version", .fail, "Redis \(version) has no streams", fix: "b00t needs Redis 5 or newer"))
        }
        if case .array(let parts)? = try? connection.command(["TIME"]), parts.count == 2,
           let seconds = parts[0].text.flatMap(Double.init), let micros = parts[1].text.flatMap(Double.init) {
            checks.append(skewCheck(server: seconds + micros / 1e6, local: now().timeIntervalSince1970))
        }
        switch try? connection.command(["CONFIG", "GET", "appendonly"]) {
        case .array(let kv)? where kv.count == 2 && kv[1].text == "yes":
            checks.append(DoctorCheck("redis.persistence", .ok, "append-only file on: the log survives a restart"))
        case .array(let kv)? where kv.count == 2:
            checks.append(DoctorCheck("redis.persistence", .warn, "no append-only file: a restart empties the log",
                                      fix: "start it with --appendonly yes --appendfsync everysec (b00t detects an emptied log and stops writing, but the crew's history is gone)"))
        default:
            checks.append(DoctorCheck("redis.persistence", .warn, "cannot read the persistence settings (CONFIG not allowed for this user)"))
        }
        checks.append(contentsOf: keyChecks(url, connection))
        return checks
    }

    static func keyChecks(_ url: RedisURL, _ connection: RedisConnection) -> [DoctorCheck] {
        let log = "b00t:{\(url.bus)}:log", seq = "b00t:{\(url.bus)}:seq"
        let logType = (try? connection.command(["TYPE", log]))?.text ?? "?"
        let seqType = (try? connection.command(["TYPE", seq]))?.text ?? "?"
        guard ["none", "stream"].contains(logType), ["none", "string"].contains(seqType) else {
            return [DoctorCheck("bus.keys", .fail, "\(log) is a \(logType) and \(seq) a \(seqType): not a b00t bus",
                                fix: "another program uses these keys: choose another bus name (?bus=NAME) or remove them")]
        }
        if logType == "none" && seqType == "none" {
            return [DoctorCheck("bus.keys", .ok, "bus '\(url.bus)' is empty (the first command creates it)")]
        }
        let last = (try? connection.command(["GET", seq]))?.text.flatMap(UInt64.init) ?? 0
        var newest: UInt64 = 0
        if case .array(let entries)? = try? connection.command(["XREVRANGE", log, "+", "-", "COUNT", "1"]),
           case .array(let entry)? = entries.first, let id = entry.first?.text {
            newest = UInt64(id.split(separator: "-").first ?? "") ?? 0
        }
        guard last == newest else {
            return [DoctorCheck("bus.keys", .fail, "bus '\(url.bus)': the sequence key says #\(last) but the newest entry is #\(newest)",
                                fix: "the keys were edited by hand or partly restored; restore both from the same backup")]
        }
        return [DoctorCheck("bus.keys", .ok, "bus '\(url.bus)' holds events up to #\(last)")]
    }

    /// Clock agreement between this host and the Redis host (event times come from each writer's clock).
    public static func skewCheck(server: Double, local: Double) -> DoctorCheck {
        let skew = server - local
        if abs(skew) > skewWarning {
            return DoctorCheck("clock.skew", .warn, String(format: "this host's clock is %.1f s %@ Redis's", abs(skew), skew > 0 ? "behind" : "ahead of"),
                               fix: "event times will read out of order across hosts: run NTP (chrony or systemd-timesyncd) on every host")
        }
        return DoctorCheck("clock.skew", .ok, String(format: "clocks agree (%.0f ms apart)", abs(skew) * 1000))
    }

    static func isLoopback(_ host: String) -> Bool { host == "localhost" || host.hasPrefix("127.") || host == "::1" }
}
