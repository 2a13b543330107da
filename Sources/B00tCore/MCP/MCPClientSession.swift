import Foundation
import MCP

/// A client of one MCP server this process started (the official SDK's `Client` over the child's pipes).
/// Every request has a deadline: a server that hangs, or exits without answering, is an error that quotes what
/// it printed on stderr — never a wait without end.
public struct MCPClientSession: Sendable {
    public let child: MCPChildServer
    public let client: Client
    public let server: Initialize.Result
    public let timeout: Duration

    /// Starts `method` and initializes (within `timeout`).
    public static func start(_ method: MCPStdioMethod, environment: [String: String], paths: B00tPaths,
                             timeout: Duration = .seconds(30), clientName: String = "b00t") async throws -> MCPClientSession {
        let child = try MCPChildServer.launch(method, environment: environment, paths: paths)
        let client = Client(name: clientName, version: B00tVersion.current)
        do {
            let server = try await deadline("initialize", timeout, child) { try await client.connect(transport: child.transport) }
            return MCPClientSession(child: child, client: client, server: server, timeout: timeout)
        } catch {
            await client.disconnect()
            await child.stop(grace: .milliseconds(500))
            throw error
        }
    }

    /// Every tool the server lists (following pagination, at most 100 pages).
    public func tools() async throws -> [Tool] {
        var all: [Tool] = []
        var cursor: String? = nil
        for _ in 0..<100 {
            let page = try await Self.deadline("tools/list", timeout, child) { [client, cursor] in try await client.listTools(cursor: cursor) }
            all += page.tools
            guard let next = page.nextCursor, !next.isEmpty else { break }
            cursor = next
        }
        return all
    }

    /// Calls `name`; the whole result (content, structured content, isError).
    public func call(_ name: String, arguments: [String: Value]?) async throws -> CallTool.Result {
        try await Self.deadline("tools/call \(name)", timeout, child) { [client] in
            let context: RequestContext<CallTool.Result> = try await client.send(CallTool.request(.init(name: name, arguments: arguments)))
            return try await context.value
        }
    }

    public func close() async {
        await client.disconnect()
        await child.stop()
    }

    /// `body`, or `MCPClientError.timeout` after `timeout`; an error from the SDK (the server exited, sent
    /// garbage) becomes `MCPClientError.failed` with the server's stderr.
    static func deadline<T: Sendable>(_ what: String, _ timeout: Duration, _ child: MCPChildServer,
                                      _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: DeadlineStep<T>.self) { group in
            group.addTask { .answered(try await body()) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return .timedOut
            }
            group.addTask {
                await child.transport.ended.wait()
                // Its last words may still be on their way to the client: give them a moment.
                try await Task.sleep(for: .milliseconds(200))
                return .exited
            }
            defer { group.cancelAll() }
            do {
                switch try await group.next() {
                case .answered(let value)?: return value
                case .exited?:
                    throw MCPClientError.failed("the MCP server '\(child.argv[0])' exited before answering \(what)", stderr: child.stderrTail)
                default:
                    throw MCPClientError.timeout(what, seconds: Int(timeout.components.seconds), stderr: child.stderrTail)
                }
            } catch let error as MCPClientError {
                throw error
            } catch let error as MCPError {
                throw MCPClientError.failed("\(what) failed: \(TerminalText.line(error.localizedDescription))", stderr: child.stderrTail)
            }
        }
    }
}

/// Which of a request, its deadline and the server's exit came first.
enum DeadlineStep<T: Sendable>: Sendable {
    case answered(T)
    case timedOut
    case exited
}
