import NIOCore

/// What a connection's pipeline hands the async side: a parsed request, or the reason a line was not one.
/// Parsing stays on the event loop (cheap, and it keeps a garbage line from costing a task hop).
enum WireInbound: Sendable {
    case request(WireProtocol.Request)
    /// Not a request (not JSON, not an object, no op, wrong version): answered with `malformed`, under the
    /// line's id when it had one.
    case malformed(String, id: WireID)
    /// A line over the limit, dropped up to its newline.
    case tooLong(Int)
}

/// Framed lines (from `BoundedLineDecoder`) in, `WireInbound` out. With a connection's `ConnectionShared`, a
/// ping (or a spent rate limit's refusal, or a command the bus can append now) that may be answered at once is
/// answered here, on the event loop, and goes no further.
final class RequestDecoder: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias InboundOut = WireInbound
    typealias OutboundOut = ByteBuffer

    let shared: ConnectionShared?
    /// Commands appended right here, when the bus runs on this connection's loop.
    let appends: PipelineAppends?
    /// Counts the rate-limit refusals given here (`metrics`, and the server's `answeredInPipeline`).
    let metrics: ServerMetrics?
    let answered: PipelineCount?

    init(shared: ConnectionShared? = nil, appends: PipelineAppends? = nil, metrics: ServerMetrics? = nil,
         answered: PipelineCount? = nil) {
        self.shared = shared
        self.appends = appends
        self.metrics = metrics
        self.answered = answered
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let item: WireInbound
        switch unwrapInboundIn(data) {
        case .tooLong(let length):
            item = .tooLong(length)
        case .line(let buffer):
            guard buffer.readableBytes > 0 else { return }
            do {
                item = .request(try WireProtocol.parse(buffer.readableBytesView))
            } catch {
                item = .malformed(error.description, id: error.id)
            }
        }
        if let shared {
            if case .request(let request) = item, context.channel.isWritable, let answer = answer(request, shared) {
                // Flushed once per read (channelReadComplete): a client that pipelines many lines, or floods,
                // costs one write syscall per read instead of one per reply; one request at a time, the flush
                // follows at once.
                context.write(wrapOutboundOut(context.channel.allocator.buffer(string: answer)), promise: nil)
                unflushed = true
                return
            }
            shared.handedOver()
        }
        context.fireChannelRead(wrapInboundOut(item))
    }

    /// Replies written by `channelRead` since the last flush.
    private var unflushed = false

    func channelReadComplete(context: ChannelHandlerContext) {
        flushAnswers(context)
        context.fireChannelReadComplete()
    }

    /// The last lines before a half-close are decoded with the close, not followed by a read-complete.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        flushAnswers(context)
        context.fireUserInboundEventTriggered(event)
    }

    private func flushAnswers(_ context: ChannelHandlerContext) {
        guard unflushed else { return }
        unflushed = false
        context.flush()
    }

    /// The reply to `request` written right here, or nil to hand it to the conversation: a ping, a refusal of
    /// a spent rate limit (a flood costs the daemon no task per line), a command `PipelineAppends` appends.
    private func answer(_ request: WireProtocol.Request, _ shared: ConnectionShared) -> String? {
        switch shared.pipelineTurn(request) {
        case .handOver:
            return nil
        case .limited:
            metrics?.rateLimited.increment()
            answered?.add()
            return shared.rateLimitedReply(request.id)
        case .answer(let agent):
            if request.op == "ping" { return WireProtocol.pong(request.id, agent: agent) }
            if let reply = appends?.reply(to: request, agent: agent) { return reply }
            shared.refund()
            return nil
        }
    }
}
