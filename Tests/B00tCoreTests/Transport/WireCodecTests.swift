import Foundation
import NIOCore
import Testing
@testable import B00tCore

/// The one wire codec: every command survives client encoding → JSON line → server parsing unchanged,
/// replies decode into typed fields, and a refusal comes back as the very `BusError` the bus raised.
@Suite struct WireCodecTests {
    static let date = BusTime.quantize(Date(timeIntervalSince1970: 1_800_000_000.123))

    static let commands: [BusCommand] = [
        .register(agent: BusAgent(id: "alpha", role: "dev \"quoted\"", skills: ["rust": 0.123456789, "go": 1], personality: "calm",
                                  autoAcceptHandshakes: false)),
        .deregister(agent: "alpha"),
        .handshake(from: "alpha", to: "beta", proposal: "pair?", expiresAt: date),
        .handshake(from: "alpha", to: "beta", proposal: "", expiresAt: nil),
        .replyHandshake(from: "alpha", handshake: "hs-3", accept: true, reason: "sure"),
        .replyHandshake(from: "alpha", handshake: "hs-3", accept: false, reason: nil),
        .expireHandshake(from: "alpha", handshake: "hs-3"),
        .formCrew(from: "alpha", name: "api", members: ["beta", "gamma"], purpose: "Build ✓"),
        .leaveCrew(from: "alpha", crew: "api"),
        .disbandCrew(from: "alpha", crew: "api"),
        .propose(from: "alpha", text: "ship it", crew: "api", threshold: 0.66, quorum: 0.5),
        .propose(from: "alpha", text: "ship it", crew: nil, threshold: nil, quorum: nil),
        .vote(from: "alpha", proposal: "prop-4", choice: .abstain),
        .withdrawProposal(from: "alpha", proposal: "prop-4"),
        .postAhoy(from: "alpha", role: "backend", description: "new\nline", requiredSkills: ["rust", "docker"], budget: 100, replyBy: date),
        .postAhoy(from: "alpha", role: "backend", description: "", requiredSkills: [], budget: 0, replyBy: nil),
        .apply(from: "alpha", ahoy: "ahoy-5", pitch: "me", relevantSkills: ["rust"]),
        .award(from: "alpha", ahoy: "ahoy-5", winner: "beta"),
        .withdrawAhoy(from: "alpha", ahoy: "ahoy-5"),
        .withdrawApplication(from: "alpha", ahoy: "ahoy-5"),
        .teach(from: "alpha", to: "beta", skill: "rust", method: .pairProgramming),
        .requestLearning(from: "alpha", skill: "rust", teacher: "beta"),
        .declineLearning(from: "alpha", request: "learn-9", reason: "below 0.70"),
        .share(from: "alpha", crew: "api", topic: "tips", content: "🚀 fast", skillImpact: ["rust": 0.1]),
        .say(from: "alpha", crew: "api", to: nil, text: "hello"),
        .say(from: "alpha", crew: nil, to: "beta", text: "psst"),
        .joinCrew(from: "alpha", crew: "api"),
        .delegate(from: "alpha", crew: "api", to: "beta", budget: 100),
        .negotiate(from: "alpha", crew: "api", resource: "gpu", amount: 2, reason: "train ✓"),
        .negotiate(from: "alpha", crew: nil, resource: "cake", amount: 1, reason: "hungry"),
        .announceStatus(from: "alpha", note: "on the parser"),
        .announceStatus(from: "alpha", note: ""),
        .proposeMutation(from: "alpha", crew: "api", mutation: MutationFixture.mutation(approval: .crew("api"))),
        .proposeMutation(from: "alpha", crew: nil, mutation: MutationFixture.mutation(approval: .none)),
        .claimMutation(from: "alpha", proposal: "prop-4", leaseUntil: date),
        .completeMutation(from: "alpha", proposal: "prop-4", commit: "abc1234", note: "committed"),
        .completeMutation(from: "alpha", proposal: "prop-4", commit: nil, note: "not committed: version_control is off"),
        .rejectMutation(from: "alpha", proposal: "prop-4", reason: "stale"),
    ]

    @Test(arguments: commands) func everyCommandRoundTrips(command: BusCommand) throws {
        let (op, fields) = try WireProtocol.encode(command)
        // The client's own line writer, as BusClient sends it.
        let line = try WireProtocol.requestLine(op: op, id: 7, fields: fields)
        #expect(line.last == 10)
        let request = try WireProtocol.parse(Array(line.dropLast()))
        #expect(request.id == .number(7))
        #expect(try WireProtocol.command(op: request.op, fields: request.fields, agent: command.actor) == command)
        // Claiming to be someone else is refused, whoever encoded it.
        #expect(throws: BusError.self) { try WireProtocol.command(op: request.op, fields: request.fields, agent: "mallory") }
    }

    /// The hand-written request writer against JSONSerialization's reading of it: a parsed 1 stays 1 and a
    /// parsed true stays true (Foundation on Linux casts each to the other), big unsigned numbers stay exact,
    /// strings with quotes and control characters survive, and what JSON cannot hold is an error, not a crash.
    @Test func requestLinesCarryEveryValueShape() throws {
        let parsed = try JSONSerialization.jsonObject(with: Data(#"{"one":1,"yes":true,"no":false,"zero":0,"half":0.5}"#.utf8))
        let fields: [String: Any] = [
            "forwarded": parsed, "int": 42, "neg": Int64.min, "big": UInt64.max, "double": 2.25, "whole": 3.0,
            "bool": true, "null": NSNull(), "text": "quote \" backslash \\ nl \n tab \t bell \u{7} ✓",
            "list": [1, "two", [3.5, false]] as [Any], "nested": ["a": ["b": ["c": 1]]],
        ]
        let line = try WireProtocol.requestLine(op: "x", id: 9, fields: fields)
        let back = try #require(try JSONSerialization.jsonObject(with: Data(line.dropLast())) as? [String: Any])
        #expect(back["v"] as? Int == 1 && back["op"] as? String == "x" && back["id"] as? Int == 9)
        let forwarded = try #require(back["forwarded"] as? [String: Any])
        for (key, isBool) in [("one", false), ("yes", true), ("no", true), ("zero", false), ("half", false)] {
            #expect(WireFields.isBool(try #require(forwarded[key] as? NSNumber)) == isBool, "\(key)")
        }
        #expect((forwarded["one"] as? NSNumber)?.intValue == 1 && (forwarded["half"] as? NSNumber)?.doubleValue == 0.5)
        #expect((back["big"] as? NSNumber)?.uint64Value == UInt64.max)
        #expect((back["neg"] as? NSNumber)?.int64Value == Int64.min)
        #expect(back["text"] as? String == fields["text"] as? String)
        #expect(back["null"] is NSNull)
        #expect(WireFields.isBool(try #require(back["bool"] as? NSNumber)))
        #expect(((back["nested"] as? [String: Any])?["a"] as? [String: Any]) != nil)

        #expect(throws: JSONWriterError.self) { try WireProtocol.requestLine(op: "x", id: 1, fields: ["when": Date()]) }
        #expect(throws: JSONWriterError.self) { try WireProtocol.requestLine(op: "x", id: 1, fields: ["nan": Double.nan]) }
        var deep: Any = 1
        for _ in 0..<40 { deep = [deep] }
        #expect(throws: JSONWriterError.self) { try WireProtocol.requestLine(op: "x", id: 1, fields: ["deep": deep]) }
    }

    @Test func presenceNeverGoesOnTheWire() {
        #expect(throws: BusError.self) { try WireProtocol.encode(.presence(agent: "alpha", online: true, reason: nil)) }
    }

    @Test func everyCommandCaseIsCovered() {
        // A new BusCommand case must join `commands` above (the compiler checks encode; this checks the tests).
        let names = Set(Self.commands.map { "\($0)".prefix { $0 != "(" } })
        #expect(names.count == 29)  // every case but presence, which never goes on the wire
    }

    @Test func repliesDecodeIntoTypedFields() throws {
        let error = BusError.notFound("ahoy", "ahoy-9")
        let refusal = WireProtocol.error(.number(3), error.description, code: error.code, busError: error)
        let decoded = try WireReply.decode(Array(refusal.utf8.dropLast()))
        #expect(!decoded.ok && decoded.id == .number(3) && decoded.code == "not_found")
        #expect(decoded.refusal == error)  // the structured error itself, not a guess from the message
        let transport = try WireReply.decode(Array(WireProtocol.error(.string("x"), "slow down", code: "rate_limited").utf8.dropLast()))
        #expect(transport.refusal == .transport(code: "rate_limited", message: "slow down"))
        #expect(transport.refusal.description == "slow down")
        let event = BusEvent(seq: 4, timestamp: Self.date, from: "alpha", conversationID: "evt-4", body: .message(crew: nil, to: nil, text: "hi"))
        let ok = WireProtocol.ok(.number(5), op: "say", extra: "\"events\":[\(String(decoding: EventJSON.encode(event), as: UTF8.self))]")
        let reply = try WireReply.decode(Array(ok.utf8.dropLast()))
        #expect(reply.ok && reply.op == "say" && reply.events == [event])
        let hello = try WireReply.decode(Array(WireProtocol.ok(.none, op: "hello", extra: "\"agent\":\"a\",\"last_seq\":41").utf8.dropLast()))
        #expect(hello.agent == "a" && hello.lastSeq == 41 && hello.id == WireID.none)
    }

    @Test func busErrorsHaveStableCodes() {
        let cases: [(BusError, String)] = [
            (.unknownAgent("x"), "not_found"), (.notFound("ahoy", "x"), "not_found"), (.notAllowed("x"), "forbidden"),
            (.closed("x"), "closed"), (.duplicate("x"), "duplicate"), (.alreadyRegistered("x"), "duplicate"),
            (.invalid("x"), "invalid"), (.timeout("x"), "timeout"), (.storage("x"), "storage"),
            (.corruptLog(seq: 1, detail: "x"), "corrupt"), (.logRewound(store: "m", seen: 2, now: 1), "log_rewound"),
            (.transport(code: "conflict", message: "x"), "conflict"),
        ]
        for (error, code) in cases { #expect(error.code == code, "\(error)") }
    }
}

extension BusCommand: CustomTestStringConvertible {
    public var testDescription: String { "\(self)".prefix(60).description }
}

/// Reply deadlines are swept, not timed one by one: an overdue request fails with `noReply`, a fresh one waits.
@Suite struct ClientDeadlineTests {
    @Test func overdueRequestsFailAndFreshOnesWait() async throws {
        let (_, continuation) = AsyncStream<BusEvent>.makeStream()
        let state = ClientState(events: continuation, timeout: .seconds(30))
        let overdue = Task {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<WireReply, Error>) in
                _ = state.register(1, op: "say", c)
            }
        }
        let fresh = Task {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<WireReply, Error>) in
                _ = state.register(2, op: "ping", c)
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        state.failOverdue(now: NIODeadline.now() + .seconds(10))  // nobody is due yet
        try await Task.sleep(for: .milliseconds(20))
        #expect(state.pendingCount == 2)
        state.failOverdue(now: NIODeadline.now() + .seconds(31))  // both are
        for (task, op) in [(overdue, "say"), (fresh, "ping")] {
            do {
                _ = try await task.value
                Issue.record("\(op) got a reply")
            } catch {
                #expect(error as? BusClientError == .noReply(op, seconds: 30))
            }
        }
        state.closeAll()
    }
}

/// The flat-reply scanner must read every line exactly as the full decoder does, or leave it to the decoder.
@Suite struct FlatReplyScannerTests {
    static func full(_ line: String) -> WireReply? { try? WireProtocol.decoder.decode(WireReply.self, from: Data(line.utf8)) }
    static func flat(_ line: String) -> WireReply? { Array(line.utf8).withUnsafeBufferPointer { FlatReplyScanner.scan($0) } }

    /// Equal, and nothing the scanner never fills (state, a bus error).
    static func same(_ a: WireReply, _ b: WireReply) -> Bool {
        a == b && a.state == nil && a.busError == nil
    }

    @Test func serverRepliesTakeTheFastPathAndAgree() throws {
        let lines = [
            WireProtocol.ok(.number(7), op: "ping"),
            WireProtocol.ok(.string("req-1"), op: "hello", extra: "\"agent\":\"alpha\",\"last_seq\":42"),
            WireProtocol.ok(.none, op: "batch", extra: "\"count\":3,\"first_seq\":10,\"last_seq\":12"),
            WireProtocol.error(.number(9), "no such ahoy", code: "not_found"),
            "{\"v\":1,\"id\":-3,\"ok\":false,\"op\":null,\"unknown\":true}",
            " { \"id\" : 1 , \"ok\" : true } \n",
            // A command's reply with no events, or with message events (MessageEventScanner).
            "{\"id\":1,\"ok\":true,\"events\":[]}",
            Conversation.okReply(.number(3), op: "say", events: [BusEvent(seq: 5, timestamp: BusTime.date(milliseconds: 1_796_307_612_773),
                                 from: "zed", conversationID: "evt-5", body: .message(crew: nil, to: "amy", text: "hi"))]),
        ]
        for line in lines {
            let fast = try #require(Self.flat(line), "fast path refused \(line)")
            let slow = try #require(Self.full(line), "decoder refused \(line)")
            #expect(Self.same(fast, slow), "\(line)")
        }
    }

    @Test func anythingElseGoesToTheDecoder() {
        for line in ["{\"id\":1,\"ok\":true,\"events\":[{\"seq\":1}]}", "{\"id\":1.5,\"ok\":true}", "{\"id\":1,\"error\":\"a\\nb\"}",
                     "{\"id\":99999999999999999999,\"ok\":true}", "{\"id\":1,\"ok\":1}", "{\"id\":1,\"id\":2}",
                     "{\"id\":1,\"last_seq\":-1}", "{\"id\":1,\"ok\":true}x", "{\"id\":1,", "", "[1]", "{\"id\":1e3}",
                     "{\"id\":tru}", "{\"op\":\"\u{1}\"}"] {
            #expect(Self.flat(line) == nil, "\(line)")
        }
    }

    /// Random flat objects: whenever the scanner answers, the decoder answers the same.
    @Test func randomLinesAgreeWithTheDecoder() {
        var rng = SplitMix(seed: 42)
        let keys = ["id", "ok", "op", "code", "error", "count", "first_seq", "last_seq", "from_seq", "agent", "v", "x"]
        let values = ["1", "-1", "0", "true", "false", "null", "\"a\"", "\"\"", "\"ü ✓\"", "18446744073709551615",
                      "9223372036854775807", "-9223372036854775808", "2.5", "\"a\\\"b\"", "{}", "[]"]
        var agreed = 0
        for _ in 0..<5_000 {
            let fields = (0..<Int(rng.next() % 6)).map { _ in
                "\"\(keys[Int(rng.next() % UInt64(keys.count))])\":\(values[Int(rng.next() % UInt64(values.count))])"
            }
            let line = "{" + fields.joined(separator: ",") + "}"
            guard let fast = Self.flat(line) else { continue }
            guard let slow = Self.full(line) else { Issue.record("the scanner read what the decoder refuses: \(line)"); continue }
            #expect(Self.same(fast, slow), "\(line)")
            agreed += 1
        }
        #expect(agreed > 500)
    }
}
