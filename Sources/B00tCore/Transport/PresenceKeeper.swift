import Foundation
import NIOConcurrencyHelpers

/// Keeps the log's presence (`agentJoined` / `agentLeft`) in step with which agents hold a live connection.
///
/// Connections come and go on the event loop while presence is written through the bus; a reconnect can race
/// the old connection's close. So this never writes "what just happened" — each change only names the agent,
/// and one worker, in order, compares the registry's truth at that moment with the folded state and writes the
/// difference. Whatever the interleaving, the log ends where the registry is.
final class PresenceKeeper: Sendable {
    private let bus: MessageBus
    private let leases: (any PresenceLeases)?
    private let holder = LeaseHolder.current + ":daemon"
    private let sweeper: Task<Void, Never>
    private typealias Change = (agent: String, reason: String, done: CheckedContinuation<Void, Never>?)
    private let queue: AsyncStream<Change>.Continuation
    private let worker: Task<Void, Never>
    /// Set once the daemon begins a clean stop: the closes it causes are written with this reason, whichever
    /// is seen first — the connection's close or the stop itself (a crew saw "connection closed" for one agent
    /// and "bus daemon stopped" for the other).
    private let stopping: NIOLockedValueBox<String?>

    init(bus: MessageBus, registry: AgentRegistry) {
        self.bus = bus
        let leases = bus.backend as? any PresenceLeases
        self.leases = leases
        let holder = self.holder
        let stopping = NIOLockedValueBox<String?>(nil)
        self.stopping = stopping
        let (stream, continuation) = AsyncStream<Change>.makeStream()
        queue = continuation
        worker = Task {
            for await change in stream {
                // Online means registered and connected: connections that never register (tail, ping) stay silent.
                if let state = try? await bus.currentState() {
                    let held = registry.isHeld(change.agent) && state.agents[change.agent] != nil
                    // The daemon holds leases for its agents too, so processes writing the same store directly
                    // (k0mmand3r --bus sqlite) neither take these ids nor sweep them as lapsed.
                    if held {
                        _ = try? await leases?.acquireLease(change.agent, holder: holder, ttl: PresenceHeartbeat.ttl)
                    } else {
                        try? await leases?.releaseLease(change.agent, holder: holder)
                    }
                    if state.isOnline(change.agent) != held {
                        let reason = stopping.withLockedValue { $0 } ?? change.reason
                        _ = try? await bus.submit(.presence(agent: change.agent, online: held, reason: held ? nil : reason))
                    }
                }
                change.done?.resume()
            }
        }
        // Every period: renew our agents' leases, and write offline whoever the log shows online with no live
        // lease and no connection here (a direct-store process that was killed).
        sweeper = Task {
            var last = ContinuousClock.now
            while !Task.isCancelled {
                // Overdue handshakes close within a second of their deadline; leases are renewed each period.
                try? await Task.sleep(for: .seconds(1))
                await bus.expireOverdueHandshakes()
                guard let leases, ContinuousClock.now - last >= PresenceHeartbeat.period else { continue }
                last = .now
                let connected = registry.agents
                for agent in connected { _ = try? await leases.acquireLease(agent, holder: holder, ttl: PresenceHeartbeat.ttl) }
                await PresenceHeartbeat.sweep(bus, leases, sparing: connected,
                                              reason: "no heartbeat for \(Int(PresenceHeartbeat.ttl.components.seconds)) s")
            }
        }
    }

    /// `agent`'s connection opened or closed: bring the log in line (in the background, in order).
    func changed(_ agent: String, reason: String = "connection closed") {
        queue.yield((agent, reason, nil))
    }

    /// The same, returning once the log is in line (a hello is answered after its presence is written, so the
    /// client reads its own arrival).
    func settle(_ agent: String, reason: String = "connection closed") async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            if case .terminated = queue.yield((agent, reason, done)) { done.resume() }
        }
    }

    /// After a (re)start no connection to a daemon that stopped survives: agents the log still shows online are
    /// marked offline — except those a live process on the same store vouches for with its own lease, another
    /// daemon serving the same store included (a second `bus serve` on another socket wrote every agent of the
    /// first one offline while they were connected and chatting).
    func reconcileAll(reason: String) async {
        guard let state = try? await bus.currentState() else { return }
        let online = state.online.sorted()
        let live = (try? await leases?.liveLeases(among: online)) ?? [:]
        for agent in online where live[agent].map({ $0.hasSuffix(":daemon") && LeaseHolder.isGone($0) }) ?? true {
            changed(agent, reason: reason)
        }
    }

    /// The daemon is stopping cleanly, for `reason`: the connection closes that follow are its doing.
    func stopping(reason: String) {
        stopping.withLockedValue { $0 = reason }
    }

    /// A clean stop: every connection is about to close, so everyone connected is marked offline now, with the
    /// reason, rather than "restarted" by whoever starts the next daemon.
    func finish(reason: String, connected: [String]) async {
        queue.finish()
        worker.cancel()
        sweeper.cancel()
        guard let state = try? await bus.currentState() else { return }
        for agent in state.online.intersection(connected).sorted() {
            _ = try? await bus.submit(.presence(agent: agent, online: false, reason: reason))
            try? await leases?.releaseLease(agent, holder: holder)
        }
    }
}
