#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Identity, tokens, malformed input, floods and slow readers against a real server on a real socket.
@Suite(.serialized) struct BusSecurityTests {
    @Test func socketIsPrivateAndPingNeedsNoHello() async throws {
        let server = try await TestBusServer()
        defer { Task { await server.stop() } }
        let mode = try FileManager.default.attributesOfItem(atPath: server.endpoint.socketPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let dirMode = try FileManager.default.attributesOfItem(atPath: server.dir.path)[.posixPermissions] as? Int
        #expect(dirMode == 0o700)
        let raw = try RawSocket(path: server.endpoint.socketPath)
        raw.send(#"{"v":1,"op":"ping","id":1}"#)
        raw.send(#"{"v":1,"op":"say","text":"before hello","id":2}"#)
        let lines = try await offPool { raw.readLines(2) }
        #expect(lines.first?.contains(#""op":"pong""#) == true)
        #expect(lines.last?.contains(#""code":"no_hello""#) == true)
    }

    @Test func spoofedFromIsRefused() async throws {
        let server = try await TestBusServer()
        defer { Task { await server.stop() } }
        let alpha = try await server.connect("alpha")
        let beta = try await server.connect("beta")
        try await alpha.register(BusAgent(id: "alpha"))
        try await beta.register(BusAgent(id: "beta"))
        let p = try await alpha.createProposal("ship", by: "alpha")
        // alpha tries to vote as beta
        await #expect(throws: BusError.notAllowed("this connection speaks as 'alpha'; 'from' says 'beta'")) {
            try await alpha.vote(p, voter: "beta", choice: .yes)
        }
        await #expect(throws: BusError.self) { try await alpha.register(BusAgent(id: "mallory")) }
        #expect(await alpha.state.proposals[p]?.votes.isEmpty == true)
        // Raw: a `from` field naming someone else.
        let raw = try RawSocket(path: server.endpoint.socketPath)
        raw.send(#"{"v":1,"op":"hello","agent":"carol","id":1}"#)
        raw.send(#"{"v":1,"op":"vote","from":"beta","proposal":"\#(p)","choice":"yes","id":2}"#)
        let lines = try await offPool { raw.readLines(2) }
        #expect(lines.last?.contains(#""code":"forbidden""#) == true)
        // One live connection per agent id.
        await #expect(throws: BusClientError.self) { _ = try await server.connect("alpha") }
        await alpha.close()
        try await Task.sleep(for: .milliseconds(50))
        let again = try await server.connect("alpha")
        await again.close()
        await beta.close()
    }

    @Test func tokenIsChecked() async throws {
        let server = try await TestBusServer(token: "s3cret")
        defer { Task { await server.stop() } }
        await #expect {
            _ = try await RemoteBus.connect(BusEndpoint(socketPath: server.endpoint.socketPath, token: "wrong"), agent: "eve")
        } throws: { error in
            guard case BusClientError.refused(let refusal) = error else { return false }
            return refusal.code == "unauthorized"
        }
        await #expect(throws: BusClientError.self) {
            _ = try await RemoteBus.connect(BusEndpoint(socketPath: server.endpoint.socketPath), agent: "eve")
        }
        let ok = try await RemoteBus.connect(server.endpoint, agent: "alice")
        try await ok.register(BusAgent(id: "alice"))
        await ok.close()
    }

    @Test func garbageAndHugeLinesGetErrorsAndTheConnectionStaysUsable() async throws {
        let server = try await TestBusServer()
        defer { Task { await server.stop() } }
        let raw = try RawSocket(path: server.endpoint.socketPath)
        raw.send(#"{"v":1,"op":"hello","agent":"fuzz","id":1}"#)
        raw.send("{not json")
        raw.send(Array([0xff, 0xfe, 0x00, 0x01, 0x80, 0x0a]))  // binary garbage, newline-terminated
        raw.send("[1,2,3]")
        raw.send(#"{"v":2,"op":"ping"}"#)
        raw.send(#"{"v":1,"op":"frobnicate","id":9}"#)
        raw.send(Array(repeating: UInt8(ascii: "x"), count: 1 << 20) + [10])  // a 1 MiB line
        raw.send(#"{"v":1,"op":"ping","id":42}"#)
        let lines = try await offPool { raw.readLines(8) }
        #expect(lines.count == 8)
        #expect(lines[1].contains(#""code":"malformed""#))
        #expect(lines[2].contains(#""code":"malformed""#) && lines[2].contains("UTF-8"))
        #expect(lines[3].contains("not a JSON object"))
        #expect(lines[4].contains("version 2"))
        #expect(lines[5].contains("unknown op 'frobnicate'"))
        #expect(lines[6].contains(#""code":"too_long""#) && lines[6].contains("1048576"))
        #expect(lines[7].contains(#""id":42"#) && lines[7].contains("pong"))
    }

    @Test func floodIsThrottledWhileAnotherClientKeepsWorking() async throws {
        let server = try await TestBusServer()
        defer { Task { await server.stop() } }
        let good = try await server.connect("good")
        try await good.register(BusAgent(id: "good"))
        let flooder = try RawSocket(path: server.endpoint.socketPath)
        flooder.send(#"{"v":1,"op":"hello","agent":"flood","id":0}"#)
        flooder.send(#"{"v":1,"op":"register","id":1}"#)
        var burst: [UInt8] = []
        for i in 0..<10_000 { burst += Array("{\"v\":1,\"op\":\"say\",\"text\":\"spam \(i)\",\"id\":\(i + 2)}\n".utf8) }
        let payload = burst
        let sender = Thread { flooder.send(payload) }
        sender.start()
        // Meanwhile the other client is served promptly.
        for i in 0..<20 {
            let start = ContinuousClock.now
            try await good.say(from: "good", "still here \(i)")
            #expect(ContinuousClock.now - start < .seconds(1))
        }
        let replies = try await offPool { flooder.readLines(10_002) }
        let limited = replies.filter { $0.contains(#""code":"rate_limited""#) }.count
        let accepted = replies.filter { $0.contains(#""op":"say""#) && $0.contains(#""ok":true"#) }.count
        #expect(limited > 9_000)
        #expect(accepted >= 300 && accepted <= 1_000)  // the burst (400) plus what the rate refilled
        #expect(await good.state.agents["good"] != nil)
        await good.close()
    }

    @Test func readerThatNeverReadsIsDisconnected() async throws {
        var limits = BusServer.Limits(rate: 0, burst: 0)
        limits.slowConsumerTimeout = .milliseconds(300)
        let server = try await TestBusServer(limits: limits)
        defer { Task { await server.stop() } }
        let lazy = try RawSocket(path: server.endpoint.socketPath)
        var size: Int32 = 4096
        setsockopt(lazy.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        lazy.send(#"{"v":1,"op":"hello","agent":"lazy","id":1}"#)
        lazy.send(#"{"v":1,"op":"subscribe","from_seq":0,"id":2}"#)
        let writer = try await server.connect("writer")
        try await writer.register(BusAgent(id: "writer"))
        let text = String(repeating: "z", count: 2_000)
        for _ in 0..<200 {
            try await writer.submit(Array(repeating: BusCommand.say(from: "writer", crew: nil, to: nil, text: text), count: 20))
        }
        await #expect {
            try await writer.submit(Array(repeating: BusCommand.say(from: "writer", crew: nil, to: nil, text: text), count: 40))
        } throws: { error in
            guard case BusClientError.tooLarge(let size) = error else { return false }
            return size > WireProtocol.maximumLineLength
        }
        try await Task.sleep(for: .seconds(1))
        #expect(try await offPool { lazy.isClosedByPeer() })
        // The server is fine and still serving others.
        try await writer.say(from: "writer", "after")
        await writer.close()
    }
}
