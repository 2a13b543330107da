import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing
@testable import B00tCore

/// HTTPExchange (grok's Qdrant transport) against a real HTTP/1.1 server on loopback, run by swift-nio in this
/// process: how it answers is scripted per test, the requests it saw are kept.
@Suite struct HTTPExchangeTests {
    @Test func answersWithStatusAndBodyAndSendsTheRequestAsWritten() async throws {
        let server = try await ScriptedHTTPServer.start { request in
            .answer(status: .created, body: Array("{\"ok\":\(request.body.count)}".utf8))
        }
        defer { server.stop() }
        let exchange = HTTPExchange(host: "127.0.0.1", port: server.port, timeout: .seconds(5))
        let body = Array("{\"vector\":[1,2]}".utf8)
        let answer = try exchange.send(.PUT, "/collections/b00t_chunks/points?wait=true", json: body)
        #expect(answer.status == 201)
        #expect(String(decoding: answer.body, as: UTF8.self) == "{\"ok\":\(body.count)}")
        let seen = try #require(server.requests.first)
        #expect(seen.method == .PUT)
        #expect(seen.uri == "/collections/b00t_chunks/points?wait=true")
        #expect(seen.body == body)
        #expect(seen.headers["Content-Type"].first == "application/json")
        #expect(seen.headers["Host"].first == "127.0.0.1:\(server.port)")
    }

    @Test func readsAChunkedAnswer() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .chunked(status: .ok, chunks: ["{\"result\":", "[1,2,3]", "}"]) }
        defer { server.stop() }
        let answer = try HTTPExchange(host: "127.0.0.1", port: server.port).send(.GET, "/collections")
        #expect(answer.status == 200)
        #expect(String(decoding: answer.body, as: UTF8.self) == "{\"result\":[1,2,3]}")
    }

    @Test func aRefusedConnectionIsCannotConnect() throws {
        let port = LoopbackPort.free()
        #expect(throws: HTTPExchange.Failure.self) { try HTTPExchange(host: "127.0.0.1", port: port).send(.GET, "/") }
        do { _ = try HTTPExchange(host: "127.0.0.1", port: port).send(.GET, "/") } catch {
            guard case .cannotConnect = error else { Issue.record("expected cannotConnect, got \(error)"); return }
        }
    }

    @Test func aServerThatNeverAnswersTimesOutWithinTheBound() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .silence }
        defer { server.stop() }
        let start = ContinuousClock.now
        do {
            _ = try HTTPExchange(host: "127.0.0.1", port: server.port, timeout: .milliseconds(300)).send(.GET, "/")
            Issue.record("a silent server answered")
        } catch {
            #expect(error == .timedOut(seconds: 1))
        }
        #expect(ContinuousClock.now - start < .seconds(3))
    }

    @Test func aServerThatHangsUpIsClosedEarly() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .hangUp }
        defer { server.stop() }
        #expect(throws: HTTPExchange.Failure.closedEarly) {
            try HTTPExchange(host: "127.0.0.1", port: server.port, timeout: .seconds(5)).send(.GET, "/")
        }
    }

    @Test func anAnswerOverTheBoundIsRefused() async throws {
        let server = try await ScriptedHTTPServer.start { _ in .answer(status: .ok, body: Array(repeating: 0x61, count: 100_000)) }
        defer { server.stop() }
        #expect(throws: HTTPExchange.Failure.tooLarge(limit: 4096)) {
            try HTTPExchange(host: "127.0.0.1", port: server.port, timeout: .seconds(5), maxBody: 4096).send(.GET, "/")
        }
    }

    /// The Qdrant store's first call creates the collection and its topic index when Qdrant says it has none.
    @Test func qdrantStoreCreatesItsCollectionOverHTTPExchange() async throws {
        let server = try await ScriptedHTTPServer.start { request in
            if request.method == .GET { return .answer(status: .notFound, body: Array("{\"status\":{\"error\":\"Not found\"}}".utf8)) }
            return .answer(status: .ok, body: Array("{\"result\":true,\"status\":\"ok\"}".utf8))
        }
        defer { server.stop() }
        _ = try QdrantGrokStore(url: "qdrant://127.0.0.1:\(server.port)", collection: "team_a", timeout: 5)
        #expect(server.requests.map { "\($0.method) \($0.uri)" } == [
            "GET /collections/team_a", "PUT /collections/team_a", "PUT /collections/team_a/index?wait=true",
        ])
        let created = try JSONSerialization.jsonObject(with: Data(server.requests[1].body)) as? [String: Any]
        #expect((created?["vectors"] as? [String: Any])?["size"] as? Int == MiniLMEmbedder.dimension)
    }

    @Test func qdrantStoreNamesTheURLWhenQdrantIsNotThere() throws {
        let port = LoopbackPort.free()
        do {
            _ = try QdrantGrokStore(url: "qdrant://127.0.0.1:\(port)", timeout: 2)
            Issue.record("no error without Qdrant")
        } catch {
            let text = "\(error)"
            #expect(text.contains("127.0.0.1:\(port)"))
            #expect(text.contains("b00t up grok.stack"))
        }
    }

    @Test func qdrantStoreRefusesHTTPSAndBadCollectionNames() {
        #expect(throws: GrokError.self) { try QdrantGrokStore(url: "https://qdrant.example:6333") }
        #expect(throws: GrokError.self) { try QdrantGrokStore(url: "qdrant://127.0.0.1:1", collection: "../x") }
        #expect(throws: GrokError.self) { try QdrantGrokStore(url: "qdrant://") }
    }
}

/// A loopback HTTP/1.1 server whose answer to each request is a script: a body, a chunked body, silence or a
/// hang-up. Keeps every request it saw.
final class ScriptedHTTPServer: @unchecked Sendable {
    struct Request {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    enum Reply {
        case answer(status: HTTPResponseStatus, body: [UInt8])
        case chunked(status: HTTPResponseStatus, chunks: [String])
        case silence
        case hangUp
    }

    private let lock = NSLock()
    private var seen: [Request] = []
    private let channel: any Channel
    let port: Int
    var requests: [Request] { lock.withLock { seen } }

    private init(channel: any Channel) {
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    static func start(_ script: @escaping @Sendable (Request) -> Reply) async throws -> ScriptedHTTPServer {
        let box = ServerBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    try child.pipeline.syncOperations.addHandler(ScriptedHandler(script: script) { box.server?.record($0) })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = ScriptedHTTPServer(channel: channel)
        box.server = server
        return server
    }

    func record(_ request: Request) { lock.withLock { seen.append(request) } }
    func stop() { channel.close(promise: nil) }

    private final class ServerBox: @unchecked Sendable { weak var server: ScriptedHTTPServer? }

    private final class ScriptedHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let script: @Sendable (Request) -> Reply
        let record: (Request) -> Void
        var current: Request?

        init(script: @escaping @Sendable (Request) -> Reply, record: @escaping (Request) -> Void) {
            self.script = script
            self.record = record
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): current = Request(method: head.method, uri: head.uri, headers: head.headers, body: [])
            case .body(let buffer): current?.body.append(contentsOf: buffer.readableBytesView)
            case .end:
                guard let request = current else { return }
                record(request)
                switch script(request) {
                case .silence: break
                case .hangUp: context.close(promise: nil)
                case .answer(let status, let body):
                    var head = HTTPResponseHead(version: .http1_1, status: status)
                    head.headers.add(name: "Content-Length", value: "\(body.count)")
                    context.write(wrapOutboundOut(.head(head)), promise: nil)
                    context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                case .chunked(let status, let chunks):
                    var head = HTTPResponseHead(version: .http1_1, status: status)
                    head.headers.add(name: "Transfer-Encoding", value: "chunked")
                    context.write(wrapOutboundOut(.head(head)), promise: nil)
                    for chunk in chunks {
                        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: chunk)))), promise: nil)
                    }
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                }
            }
        }
    }
}
