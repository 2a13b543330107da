import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus

/// `GET /metrics` in the Prometheus text format over a small HTTP/1.1 listener (swift-nio's HTTP codec). Only
/// that path and method are served; requests are tiny and answered from the registry on the event loop.
public final class MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// Where it listens (the port the kernel chose when asked for 0).
    public let address: MetricsAddress

    private init(registry: PrometheusCollectorRegistry, group: MultiThreadedEventLoopGroup, channel: any Channel,
                 address: MetricsAddress) {
        self.registry = registry
        self.group = group
        self.channel = channel
        self.address = address
    }

    public static func start(at address: MetricsAddress, registry: PrometheusCollectorRegistry) async throws(MetricsEndpointError) -> MetricsEndpoint {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 16)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(registry: registry))
                }
            }
        do {
            let channel = try await bootstrap.bind(host: address.host, port: address.port).get()
            let bound = MetricsAddress(host: address.host, port: channel.localAddress?.port ?? address.port)
            return MetricsEndpoint(registry: registry, group: group, channel: channel, address: bound)
        } catch {
            try? await group.shutdownGracefully()
            throw .cannotListen(address.description, ErrorText.describe(error))
        }
    }

    public func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

public enum MetricsEndpointError: Error, CustomStringConvertible {
    case cannotListen(String, String)

    public var code: String { "metrics_listen" }

    public var description: String {
        switch self {
        case .cannotListen(let address, let why):
            return "cannot serve /metrics on \(address): \(why) (is the port taken? pick another with --metrics HOST:PORT)"
        }
    }
}

/// One HTTP request at a time per connection: `GET /metrics` (or `HEAD`) → the registry's text; anything else
/// 404 or 405.
final class MetricsHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let registry: PrometheusCollectorRegistry
    private var head: HTTPRequestHead?

    init(registry: PrometheusCollectorRegistry) { self.registry = registry }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request): head = request
        case .body: break  // a scrape has no body; whatever comes is ignored (the codec bounds the head)
        case .end:
            guard let request = head else { return }
            head = nil
            respond(to: request, context: context)
        }
    }

    private func respond(to request: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = request.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.uri
        let status: HTTPResponseStatus
        var body: [UInt8]
        var contentType = "text/plain; charset=utf-8"
        if path != "/metrics" {
            status = .notFound
            body = Array("only /metrics is served here\n".utf8)
        } else if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
            body = Array("use GET /metrics\n".utf8)
        } else {
            status = .ok
            body = registry.emitToBuffer()
            contentType = "text/plain; version=0.0.4; charset=utf-8"
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        if status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
        let keepAlive = request.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: request.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if request.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            body = []
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            if !keepAlive { channel.close(promise: nil) }
        }
    }
}
