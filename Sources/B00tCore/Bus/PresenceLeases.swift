import Foundation

/// Liveness beside the log for processes that talk to a store directly (an agent on Redis, k0mmand3r embedded on
/// SQLite): nobody hosts their connection, so nobody sees it close. Each such process holds a short lease on its
/// agent id and renews it; an id's lease held by another live process means "already running", and an online
/// agent whose lease lapsed has gone (killed, cut off) — any live process may then write it offline.
public protocol PresenceLeases: Sendable {
    /// Takes `agent`'s lease for `ttl`, or renews it when `holder` already has it. False when another holder's
    /// lease is still live.
    func acquireLease(_ agent: String, holder: String, ttl: Duration) async throws -> Bool
    /// Gives it up (only when `holder` has it).
    func releaseLease(_ agent: String, holder: String) async throws
    /// The live leases among `agents`: agent → holder.
    func liveLeases(among agents: [String]) async throws -> [String: String]
}

/// Who holds a lease: host, pid and a per-run nonce, readable in `redis-cli` and SQLite.
public enum LeaseHolder {
    public static let current: String = "\(host):\(getpid()):\(UUID().uuidString.prefix(8))"

    static let host: String = {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count)
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// True when `holder` names a process on this host that no longer runs: its leases are left over. A holder
    /// elsewhere, or alive here, may still be serving the agents it holds.
    static func isGone(_ holder: String) -> Bool {
        let parts = holder.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == host[...], let pid = Int32(parts[1]), pid > 0 else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}

extension MemoryBusBackend: PresenceLeases {
    public func acquireLease(_ agent: String, holder: String, ttl: Duration) async throws -> Bool {
        leases.acquire(agent, holder: holder, ttl: ttl)
    }
    public func releaseLease(_ agent: String, holder: String) async throws { leases.release(agent, holder: holder) }
    public func liveLeases(among agents: [String]) async throws -> [String: String] { leases.live(among: agents) }
}

/// An in-process lease table (the memory backend's; also the arithmetic the others follow).
final class LeaseTable: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (holder: String, until: ContinuousClock.Instant)] = [:]

    func acquire(_ agent: String, holder: String, ttl: Duration) -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            if let current = entries[agent], current.holder != holder, current.until > now { return false }
            entries[agent] = (holder, now + ttl)
            return true
        }
    }

    func release(_ agent: String, holder: String) {
        lock.withLock { if entries[agent]?.holder == holder { entries[agent] = nil } }
    }

    func live(among agents: [String]) -> [String: String] {
        lock.withLock {
            let now = ContinuousClock.now
            var live: [String: String] = [:]
            for agent in agents { if let entry = entries[agent], entry.until > now { live[agent] = entry.holder } }
            return live
        }
    }
}
