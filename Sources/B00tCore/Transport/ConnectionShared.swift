import NIOConcurrencyHelpers
import NIOCore

/// What one connection's pipeline (on its event loop) and its conversation (async) share, so that the pipeline
/// can answer a `ping` on the spot: the rate limit, the agent the connection said hello as, and how many
/// requests the conversation has been handed and not yet answered.
///
/// Why: a ping handed to the conversation crosses NIOAsyncChannel's inbound sequence and outbound writer, each
/// a lock and a state machine, plus a task job — about a third of the daemon's CPU per ping (perf, 2026-12-03),
/// for a reply that needs none of the bus. Redis answers PING where it reads it; so does this, but only when
/// nothing handed over earlier is still unanswered (replies keep request order), when the socket takes writes
/// (back-pressure stays the writer's), and within the rate limit (the same bucket as every other request).
final class ConnectionShared: @unchecked Sendable {
    private let lock = NIOLock()
    private var bucket: TokenBucket
    private var agentName: String?
    private var unanswered = 0

    init(limits: BusServer.Limits) {
        bucket = TokenBucket(rate: limits.rate, burst: limits.burst)
    }

    /// Takes `cost` from the connection's rate limit.
    func take(_ cost: Double = 1) -> Bool { lock.withLock { bucket.take(cost) } }

    /// Who the connection speaks as (after a hello).
    var agent: String? {
        get { lock.withLock { agentName } }
        set { lock.withLock { agentName = newValue } }
    }

    /// The pipeline hands one more inbound item to the conversation.
    func handedOver() { lock.withLock { unanswered += 1 } }

    /// The conversation wrote its answer to one item (on the event loop: see `ConnectionOutput.afterWrites`).
    func answered() { lock.withLock { unanswered = max(0, unanswered - 1) } }

    /// The agent to append `request` for, in the pipeline (`PipelineAppends`), when it may be answered now:
    /// nothing handed over is unanswered, the connection said hello, and the rate limit allows it (taken).
    func takeForPipeline() -> String? {
        lock.withLock {
            guard unanswered == 0, let agentName, bucket.take() else { return nil }
            return agentName
        }
    }

    /// Undoes `takeForPipeline`'s token when the request goes to the conversation after all (which takes one).
    func refund() { lock.withLock { bucket.refund() } }

    /// The reply to `request` when it is a ping that may be answered now; nil hands it to the conversation.
    func immediatePong(_ request: WireProtocol.Request) -> String? {
        guard request.op == "ping" else { return nil }
        let agent: String?? = lock.withLock {
            guard unanswered == 0, bucket.take() else { return .none }
            return .some(agentName)
        }
        guard case .some(let name) = agent else { return nil }
        return WireProtocol.pong(request.id, agent: name)
    }
}
