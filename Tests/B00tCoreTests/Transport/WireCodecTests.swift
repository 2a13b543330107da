import Foundation
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
        .proposeMutation(from: "alpha", crew: "api", mutation: MutationFixture.mutation(approval: .crew("api"))),
        .proposeMutation(from: "alpha", crew: nil, mutation: MutationFixture.mutation(approval: .none)),
        .claimMutation(from: "alpha", proposal: "prop-4", leaseUntil: date),
        .completeMutation(from: "alpha", proposal: "prop-4", commit: "abc1234", note: "committed"),
        .completeMutation(from: "alpha", proposal: "prop-4", commit: nil, note: "not committed: version_control is off"),
        .rejectMutation(from: "alpha", proposal: "prop-4", reason: "stale"),
    ]

    @Test(arguments: commands) func everyCommandRoundTrips(command: BusCommand) throws {
        let (op, fields) = try WireProtocol.encode(command)
        var object = fields
        object["v"] = 1
        object["op"] = op
        object["id"] = 7
        let line = try JSONSerialization.data(withJSONObject: object)
        let request = try WireProtocol.parse(Array(line))
        #expect(request.id == .number(7))
        #expect(try WireProtocol.command(op: request.op, fields: request.fields, agent: command.actor) == command)
        // Claiming to be someone else is refused, whoever encoded it.
        #expect(throws: BusError.self) { try WireProtocol.command(op: request.op, fields: request.fields, agent: "mallory") }
    }

    @Test func presenceNeverGoesOnTheWire() {
        #expect(throws: BusError.self) { try WireProtocol.encode(.presence(agent: "alpha", online: true, reason: nil)) }
    }

    @Test func everyCommandCaseIsCovered() {
        // A new BusCommand case must join `commands` above (the compiler checks encode; this checks the tests).
        let names = Set(Self.commands.map { "\($0)".prefix { $0 != "(" } })
        #expect(names.count == 25)  // every case but presence, which never goes on the wire
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
