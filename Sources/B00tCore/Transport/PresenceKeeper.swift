import Foundation

/// Keeps the log's presence (`agentJoined` / `agentLeft`) in step with which agents hold a live connection.
///
/// Connections come and go on the event loop while presence is written through the bus; a reconnect can race
/// the old connection's close. So this never writes "what just happened" — each change only names the agent,
/// and one worker, in order, compares the registry's truth at that moment with the folded state and writes the
/// difference. Whatever the interleaving, the log ends where the registry is.
final class PresenceKeeper: Sendable {
    private let bus: MessageBus
    private typealias Change = (agent: String, reason: String, done: CheckedContinuation<Void, Never>?)
    private let queue: AsyncStream<Change>.Continuation
    private let worker: Task<Void, Never>

    init(bus: MessageBus, registry: AgentRegistry) {
        self.bus = bus
        let (stream, continuation) = AsyncStream<Change>.makeStream()
        queue = continuation
        worker = Task {
            for await change in stream {
                // Online means registered and connected: connections that never register (tail, ping) stay silent.
                if let state = try? await bus.currentState() {
                    let held = registry.isHeld(change.agent) && state.agents[change.agent] != nil
                    guard state.isOnline(change.agent) != held else { change.done?.resume(); continue }
                    _ = try? await bus.submit(.presence(agent: change.agent, online: held, reason: held ? nil : change.reason))
                }
                change.done?.resume()
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

    /// After a (re)start no connection survives: agents the log still shows online are marked offline.
    func reconcileAll(reason: String) async {
        guard let state = try? await bus.currentState() else { return }
        for agent in state.online.sorted() { changed(agent, reason: reason) }
    }

    /// A clean stop: every connection is about to close, so everyone online is marked offline now, with the
    /// reason, rather than "restarted" by whoever starts the next daemon.
    func finish(reason: String) async {
        queue.finish()
        worker.cancel()
        guard let state = try? await bus.currentState() else { return }
        for agent in state.online.sorted() {
            _ = try? await bus.submit(.presence(agent: agent, online: false, reason: reason))
        }
    }
}
