import NIOConcurrencyHelpers
import NIOCore

/// What one connection's pipeline (on its event loop) and its conversation (async) share, so that the pipeline
/// can answer a `ping`, a spent rate limit and a command on the spot (`RequestDecoder`, `PipelineAppends`): the rate limit, the agent the connection said hello as, and how many
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

    private let rate: Double, burst: Double

    init(limits: BusServer.Limits) {
        bucket = TokenBucket(rate: limits.rate, burst: limits.burst)
        rate = limits.rate
        burst = limits.burst
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

    /// What the pipeline may do with a request it just read.
    enum PipelineTurn: Equatable {
        /// Answer it here (a token was taken); `agent` is who the connection speaks as, if anyone yet.
        case answer(agent: String?)
        /// Refuse it here: the rate limit is spent (exactly the conversation's answer, without its hop).
        case limited
        /// Hand it to the conversation: something handed over earlier is still unanswered (replies keep
        /// request order), or it is a batch (its cost and size checks are the conversation's).
        case handOver
    }

    /// Decides `request`'s turn, taking its token when it is answered here.
    func pipelineTurn(_ request: WireProtocol.Request) -> PipelineTurn {
        guard request.op != "batch" else { return .handOver }
        return lock.withLock {
            guard unanswered == 0 else { return .handOver }
            guard bucket.take() else { return .limited }
            return .answer(agent: agentName)
        }
    }

    /// Gives back the token of an `.answer` the pipeline could not finish (the conversation takes its own).
    func refund() { lock.withLock { bucket.refund() } }

    /// The refusal for a spent rate limit, the same words from the pipeline and the conversation.
    func rateLimitedReply(_ id: WireID) -> String {
        WireProtocol.error(id, "rate limit: \(Int(rate)) messages/s (burst \(Int(burst))); slow down", code: "rate_limited")
    }
}
