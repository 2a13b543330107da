import Foundation

/// Presence for a process that writes a store directly (no daemon hosts its connection): it holds a lease on
/// its agent id, renews it every few seconds, and says it is online; when it stops it says so and lets go.
/// Every such process also sweeps: an agent the log shows online whose lease has lapsed (killed, cut off longer
/// than the lease) is written offline. A lease held by another live process means the id is already running,
/// which is refused — the same rule as "one live connection per agent" on the socket.
public actor PresenceHeartbeat {
    /// How long a lease lasts without renewal (15 s; `B00T_PRESENCE_TTL_S`, 3–600, for slow or flaky links),
    /// and how often it is renewed and stale agents swept (a third of that).
    public static let ttl: Duration = {
        let seconds = ProcessInfo.processInfo.environment["B00T_PRESENCE_TTL_S"].flatMap(Int.init).map { min(max($0, 3), 600) } ?? 15
        return .seconds(seconds)
    }()
    public static var period: Duration { ttl / 3 }

    let bus: MessageBus
    let leases: any PresenceLeases
    let holder: String
    private let ttl: Duration
    private let period: Duration
    public private(set) var agents: [String] = []
    private var loop: Task<Void, Never>?

    /// Nil when `bus` is not a direct bus on a store that keeps leases (a socket client: the daemon does this).
    public init?(bus: any CrewBus, holder: String = LeaseHolder.current, ttl: Duration = PresenceHeartbeat.ttl,
                 period: Duration = PresenceHeartbeat.period) {
        guard let direct = bus as? MessageBus, let leases = direct.backend as? any PresenceLeases else { return nil }
        self.bus = direct
        self.leases = leases
        self.holder = holder
        self.ttl = ttl
        self.period = period
    }

    /// Takes `agent`'s lease and says it is online; refused (nothing changes) when another live process runs it.
    public func claim(_ agent: String) async throws {
        guard !agents.contains(agent) else { return }
        guard try await leases.acquireLease(agent, holder: holder, ttl: ttl) else {
            throw BusError.transport(code: "conflict", message: "agent '\(agent)' is already running on \(bus.label) (another process holds its presence lease); one process per agent")
        }
        agents.append(agent)
        await announce(agent, online: true)
        if loop == nil { loop = Task { await self.run() } }
    }

    /// Says `agent` left and lets its lease go.
    public func release(_ agent: String, reason: String) async {
        guard let index = agents.firstIndex(of: agent) else { return }
        agents.remove(at: index)
        await announce(agent, online: false, reason: reason)
        try? await leases.releaseLease(agent, holder: holder)
    }

    /// Everything this process holds, released (a clean exit).
    public func stop(reason: String) async {
        loop?.cancel()
        loop = nil
        for agent in agents { await release(agent, reason: reason) }
    }

    private func announce(_ agent: String, online: Bool, reason: String? = nil) async {
        guard (try? await bus.currentState().isOnline(agent)) != online else { return }
        _ = try? await bus.submit(.presence(agent: agent, online: online, reason: reason))
    }

    private func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: period)
            if Task.isCancelled { return }
            await beat()
        }
    }

    /// One period: renew our leases (and come back online after a long cut), then sweep lapsed agents.
    func beat() async {
        for agent in agents {
            guard (try? await leases.acquireLease(agent, holder: holder, ttl: ttl)) == true else { continue }
            await announce(agent, online: true)
        }
        await Self.sweep(bus, leases, sparing: agents, reason: "no heartbeat for \(Int(ttl.components.seconds)) s")
        await bus.expireOverdueHandshakes()
    }

    /// Writes offline every agent the log shows online whose lease has lapsed. Two sweepers at once are harmless:
    /// the second write is refused as a duplicate.
    static func sweep(_ bus: MessageBus, _ leases: any PresenceLeases, sparing: [String], reason: String) async {
        guard let state = try? await bus.currentState() else { return }
        let candidates = state.online.subtracting(sparing).sorted()
        guard !candidates.isEmpty, let live = try? await leases.liveLeases(among: candidates) else { return }
        for agent in candidates where live[agent] == nil {
            _ = try? await bus.submit(.presence(agent: agent, online: false, reason: reason))
        }
    }
}
