import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// One plain-HTTP/1.1 request and its whole answer, over swift-nio: what grok's Qdrant backend needs, without
/// URLSession. URLSession lives in FoundationNetworking, which links libcurl and ~30 shared libraries into every
/// binary that imports it — ~7 ms on each start of `b00t` and `k0mmand3r` for a backend most runs never touch.
/// Blocking by design (callers are synchronous); never call it on an event loop. Everything is bounded: the
/// connect, the whole exchange (`timeout`) and the answer's size (`maxBody`).
package struct HTTPExchange: Sendable {
    package var host: String
    package var port: Int
    package var timeout: TimeAmount
    package var maxBody: Int

    package init(host: String, port: Int, timeout: TimeAmount = .seconds(10), maxBody: Int = 64 << 20) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.maxBody = maxBody
    }

    package struct Answer: Sendable, Equatable {
        package var status: Int
        package var body: [UInt8]
    }

    package enum Failure: Error, Equatable, CustomStringConvertible {
        case cannotConnect(String)
        case timedOut(seconds: Int)
        case closedEarly
        case tooLarge(limit: Int)
        case badAnswer(String)

        package var description: String {
            switch self {
            case .cannotConnect(let why): return "cannot connect: \(why)"
            case .timedOut(let seconds): return "no answer within \(seconds) s"
            case .closedEarly: return "the server closed the connection before answering"
            case .tooLarge(let limit): return "the answer is larger than \(limit) bytes"
            case .badAnswer(let why): return "not an HTTP answer: \(why)"
            }
        }
    }

    /// Sends `method path` (path with its query, already escaped) with an optional JSON body.
    package func send(_ method: HTTPMethod, _ path: String, json body: [UInt8]? = nil,
                      group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws(Failure) -> Answer {
        let loop = group.next()
        let answer = loop.makePromise(of: Answer.self)
        let seconds = Int(max(1, timeout.nanoseconds / 1_000_000_000))
        let deadline = loop.scheduleTask(in: timeout) { answer.fail(Failure.timedOut(seconds: seconds)) }
        let collector = AnswerCollector(answer: answer, maxBody: maxBody)
        let connected = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: host, port: port)
        connected.whenFailure { answer.fail(Failure.cannotConnect("\($0)")) }
        connected.whenSuccess { [host, port] channel in
            var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
            head.headers.add(name: "Host", value: "\(host):\(port)")
            head.headers.add(name: "Connection", value: "close")
            head.headers.add(name: "Accept", value: "application/json")
            if let body {
                head.headers.add(name: "Content-Type", value: "application/json")
                head.headers.add(name: "Content-Length", value: "\(body.count)")
            }
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { answer.fail(Failure.cannotConnect("\($0)")) }
            answer.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
        answer.futureResult.whenComplete { _ in deadline.cancel() }
        do {
            return try answer.futureResult.wait()
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .badAnswer("\(error)")
        }
    }
}

/// Gathers one response; fails the promise if the connection ends first or the body passes the bound.
private final class AnswerCollector: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart

    private let answer: EventLoopPromise<HTTPExchange.Answer>
    private let maxBody: Int
    private var status = 0
    private var body: [UInt8] = []

    init(answer: EventLoopPromise<HTTPExchange.Answer>, maxBody: Int) {
        self.answer = answer
        self.maxBody = maxBody
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
        case .body(let buffer):
            guard body.count + buffer.readableBytes <= maxBody else {
                answer.fail(HTTPExchange.Failure.tooLarge(limit: maxBody))
                context.close(promise: nil)
                return
            }
            body.append(contentsOf: buffer.readableBytesView)
        case .end:
            answer.succeed(.init(status: status, body: body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        answer.fail(HTTPExchange.Failure.badAnswer("\(error)"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        answer.fail(HTTPExchange.Failure.closedEarly)
        context.fireChannelInactive()
    }
}
