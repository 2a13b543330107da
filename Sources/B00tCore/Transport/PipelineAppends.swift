import NIOCore
import Synchronization

/// A connection's commands appended where the pipeline reads them, on the event loop the bus runs on (see
/// `MessageBus.submitNow`): parse, validate, append, reply, all in the one `channelRead`, as the pipeline answers
/// a ping. Anything it cannot finish there goes to the connection's conversation, unchanged.
///
/// Only when order and back-pressure stay what the conversation gives: nothing handed over is unanswered, the
/// socket takes writes, the rate limit allows it, the connection said hello. Ops with more to do than one
/// append (hello, subscribe, state, events, batch, register's presence) always go to the conversation.
struct PipelineAppends: Sendable {
    let bus: MessageBus
    let loop: any EventLoop
    /// Requests answered here (the server's `answeredInPipeline`: tests and diagnostics).
    let answered: PipelineCount

    /// Ops the conversation handles itself.
    static let conversationOps: Set<String> = ["ping", "hello", "subscribe", "unsubscribe", "state", "events", "batch", "register"]

    /// The reply line for `request` from `agent` (nil before a hello), or nil to hand it over. Must run on `loop`.
    func reply(to request: WireProtocol.Request, agent: String?) -> String? {
        guard !Self.conversationOps.contains(request.op), loop.inEventLoop, let agent else { return nil }
        let command: BusCommand
        do { command = try WireProtocol.command(op: request.op, fields: request.fields, agent: agent) } catch {
            answered.add()
            return WireProtocol.refusal(request.id, error)
        }
        let outcome = bus.assumeIsolated { $0.submitNow([command]) }
        switch outcome {
        case .success(let events):
            answered.add()
            return Conversation.okReply(request.id, op: request.op, events: events)
        case .failure(let error):
            answered.add()
            return WireProtocol.refusal(request.id, error)
        case nil:
            return nil
        }
    }
}

/// A count shared by every connection's pipeline.
final class PipelineCount: Sendable {
    private let value = Atomic<Int>(0)
    func add() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}
