import Foundation
import Testing
@testable import B00tCore

/// The flat scanner may only make a line faster: every line it accepts, Foundation's parser must read to the
/// same object (types included: a boolean stays a boolean), and every line Foundation refuses it must refuse.
@Suite struct FlatJSONTests {
    /// `{"k0":0,"k1":1,…` over `range`, then `extra` (a field) if given, then `}`.
    static func keys(_ range: Range<Int>, then extra: String?) -> String {
        var fields: [String] = range.map { (i: Int) -> String in "\"k\(i)\":\(i)" }
        if let extra { fields.append(extra) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func flat(_ text: String) -> [String: Any]? {
        Array(text.utf8).withUnsafeBufferPointer { FlatJSON.object($0) }
    }

    static func foundation(_ text: String) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
    }

    static func same(_ a: [String: Any], _ b: [String: Any]) -> Bool { FlatJSON.sameObject(a, b) }

    static func check(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(WireProtocol.flatScannerAgrees(Array(line.utf8)), "\(line.debugDescription)", sourceLocation: sourceLocation)
        let ours = flat(line), theirs = foundation(line)
        if let ours {
            guard let theirs else {
                Issue.record("flat accepted \(line.debugDescription), Foundation refuses it", sourceLocation: sourceLocation)
                return
            }
            #expect(same(ours, theirs), "\(line.debugDescription): \(ours) vs \(theirs)", sourceLocation: sourceLocation)
        }
    }

    @Test func theCommonLinesAreFlatAndReadAlike() throws {
        for line in [
            #"{"v":1,"op":"ping","id":1}"#,
            #"{"v":1,"op":"say","id":"a-7","text":"round trip 0.1"}"#,
            #" { "op" : "hello" , "agent" : "alpha", "token": null }  "#,
            #"{"op":"vote","proposal":"p1","approve":true,"id":-42}"#,
            #"{"op":"x","n":0,"m":-0,"big":9223372036854775807,"small":-9223372036854775807}"#,
            "{\"op\":\"say\",\"text\":\"café — ✓ 🚀\"}",
            "{\t\"op\":\"ping\"\r\n}",
            "{}",
        ] {
            #expect(Self.flat(line) != nil, "\(line) should be flat")
            Self.check(line)
        }
        let ping = try #require(Self.flat(#"{"v":1,"op":"ping","id":1,"ok":false}"#))
        #expect(WireFields.isBool(try #require(ping["ok"] as? NSNumber)))
        #expect(!WireFields.isBool(try #require(ping["id"] as? NSNumber)))
    }

    @Test func everythingElseGoesToFoundation() {
        for line in [
            #"{"op":"say","text":"a \"quoted\" word"}"#,   // escapes
            #"{"op":"x","n":1.5}"#, #"{"op":"x","n":1e3}"#, #"{"op":"x","n":1E3}"#,  // doubles
            #"{"op":"x","n":01}"#, #"{"op":"x","n":-01}"#, #"{"op":"x","n":-}"#,     // not JSON
            #"{"op":"x","n":9223372036854775808}"#,                                   // beyond Int64
            #"{"op":"x","cmds":[{"op":"say"}]}"#, #"{"op":"x","o":{}}"#,              // nested
            #"{"op":"x","op":"y"}"#,                                                   // repeated key
            #"{"op":"x",}"#, #"{"op":"x"} trailing"#, #"{"op" "x"}"#, #"{"op":tru}"#, #"["op"]"#, "",
            "{\"op\":\"a\u{01}b\"}",                                                    // control byte
            // A key repeated among the first few, and past the ones compared directly.
            Self.keys(0..<40, then: "\"k1\":2"), Self.keys(0..<40, then: "\"k30\":2"), Self.keys(0..<3, then: "\"k0\":2"),
        ] {
            #expect(Self.flat(line) == nil, "\(line.debugDescription) should not be flat")
        }
        // Many distinct keys are still flat.
        #expect(Self.flat(Self.keys(0..<40, then: nil))?.count == 40)
        // Bytes that are not UTF-8 inside a string.
        var bytes = Array(#"{"op":"say","text":"x"}"#.utf8)
        bytes[bytes.count - 3] = 0xFF
        #expect(bytes.withUnsafeBufferPointer { FlatJSON.object($0) } == nil)
        #expect(throws: WireProtocol.ParseError.malformed("not UTF-8 text")) { try WireProtocol.parse(bytes) }
    }

    /// Lines made of JSON's pieces at random: whatever the scanner accepts, Foundation reads the same.
    @Test func randomLinesNeverReadDifferently() {
        let pieces = ["{", "}", "\"op\"", "\"id\"", "\"a\"", ":", ",", " ", "1", "0", "-", "01", "1.0", "e5", "true",
                      "false", "null", "\"x\"", "\"é\"", "\\\"", "[", "]", "9223372036854775807", "\t", "nul"]
        var generator = SystemRandomNumberGenerator()
        var accepted = 0
        for _ in 0..<20_000 {
            var line = "{"
            for _ in 0..<Int.random(in: 0...9, using: &generator) { line += pieces.randomElement(using: &generator) ?? "" }
            if Bool.random(using: &generator) { line += "}" }
            if Self.flat(line) != nil { accepted += 1 }
            Self.check(line)
        }
        #expect(accepted > 0, "the generator should hit some flat lines")
    }

    /// The request parser reads a flat line and its Foundation reading to the same request.
    @Test func parseGivesTheSameRequestEitherWay() throws {
        let line = Array(#"{"v":1,"op":"say","id":7,"text":"hi","to":null}"#.utf8)
        let request = try WireProtocol.parse(line)
        #expect(request.op == "say" && request.id == .number(7))
        #expect(Self.same(request.fields, ["text": "hi", "to": NSNull()]))
        let slow = try WireProtocol.foundationObject(line)
        #expect(Self.same(slow.filter { !["v", "op", "id"].contains($0.key) }, request.fields))
        #expect(throws: WireProtocol.ParseError.unsupportedVersion(2)) { try WireProtocol.parse(Array(#"{"v":2,"op":"ping"}"#.utf8)) }
    }
}

/// A request's `v`, `op` and `id` are read typed from a flat line (no boxing, no casts); a line Foundation reads
/// gives the same request or the same refusal.
@Suite struct RequestEnvelopeTests {
    static func parse(_ line: String) -> Result<WireProtocol.Request, WireProtocol.ParseError> {
        Result { () throws(WireProtocol.ParseError) in try WireProtocol.parse(Array(line.utf8)) }
    }

    /// The refusal a line gets (nil when it is a request).
    static func refusal(_ line: String) -> WireProtocol.ParseError? {
        if case .failure(let error) = parse(line) { return error }
        return nil
    }

    @Test func flatAndFoundationReadTheEnvelopeAlike() {
        for line in [
            #"{"v":1,"op":"ping","id":1}"#, #"{"op":"ping"}"#, #"{"v":1,"op":"say","id":"a-7","text":"hi"}"#,
            #"{"v":2,"op":"ping","id":3}"#, #"{"v":"1","op":"ping","id":3}"#, #"{"v":null,"op":"ping"}"#,
            #"{"v":true,"op":"ping","id":false}"#, #"{"op":"","id":4}"#, #"{"op":7,"id":4}"#, #"{"op":null}"#,
            #"{"id":null,"op":"ping"}"#, #"{"id":-9223372036854775808,"op":"ping"}"#, #"{}"#,
            #"{"v":1,"op":"say","id":5,"text":"x","from":null,"n":12}"#,
        ] {
            #expect(WireProtocol.envelopeReadersAgree(Array(line.utf8)), "\(line)")
        }
    }

    @Test func theEnvelopeIsCheckedIdFirst() throws {
        let ping = try Self.parse(#"{"v":1,"op":"ping","id":1}"#).get()
        #expect(ping.op == "ping" && ping.id == .number(1) && ping.fields.isEmpty)
        let say = try Self.parse(#"{"v":1,"op":"say","id":"a","text":"hi"}"#).get()
        #expect(say.id == .string("a") && say.string("text") == "hi" && say.fields.count == 1)
        #expect(Self.refusal(#"{"v":2,"op":"ping","id":3}"#) == .unsupportedVersion(2, id: .number(3)))
        #expect(Self.refusal(#"{"v":"1","op":"ping","id":3}"#) == .malformed("\"v\" must be the whole number 1", id: .number(3)))
        #expect(Self.refusal(#"{"op":"","id":"q"}"#) == .malformed("missing \"op\"", id: .string("q")))
        // Not flat (a nested id): Foundation's parser reads it, and the refusal is the same as before.
        #expect(Self.refusal(#"{"op":"ping","id":[1]}"#) == .malformed("\"id\" must be a whole number (64-bit) or a string"))
        // A nested field sends the line to Foundation's parser; its envelope reads the same.
        let nested = try Self.parse(#"{"v":1,"op":"batch","id":9,"cmds":[{"op":"say","text":"a"}]}"#).get()
        #expect(nested.op == "batch" && nested.id == .number(9) && nested.fields["cmds"] is [Any])
    }

    /// Adversarial pass: ids past 64 bits were echoed wrapped (9223372036854775808 as its negative), a fraction
    /// or a boolean as 1, and a version of 1.5, true or 2^64+1 passed as 1. Now each is refused, both parsers alike.
    @Test func idsAndVersionsAreTakenExactlyOrRefused() {
        let badID = WireProtocol.ParseError.malformed("\"id\" must be a whole number (64-bit) or a string")
        for id in ["9223372036854775808", "-9223372036854775809", "99999999999999999999999", "18446744073709551617", "1.5", "true", "false"] {
            let line = #"{"v":1,"op":"ping","id":"# + id + "}"
            #expect(Self.refusal(line) == badID, "\(line)")
            #expect(WireProtocol.envelopeReadersAgree(Array(line.utf8)), "\(line)")
        }
        for v in ["1.5", "true", "18446744073709551617", "null"] {
            let line = #"{"v":"# + v + #","op":"ping","id":4}"#
            #expect(Self.refusal(line) == .malformed("\"v\" must be the whole number 1", id: .number(4)), "\(line)")
        }
        #expect(Self.refusal(#"{"v":1,"op":"ping","id":9223372036854775807}"#) == nil)
        #expect((try? Self.parse(#"{"v":1,"op":"ping","id":9007199254740992}"#).get())?.id == .number(1 << 53))
        for big in ["9223372036854775807", "1152921504606846976", "-9223372036854775807", "9007199254740993"] {
            #expect(WireProtocol.envelopeReadersAgree(Array((#"{"v":1,"op":"ping","id":"# + big + "}").utf8)), "\(big)")
        }
        #expect((try? Self.parse(#"{"v":1.0,"op":"ping","id":2.0}"#).get())?.id == .number(2), "a whole number written with .0")
    }

    /// Walk-through: a request nested 600 levels deep was refused as "not JSON" (Foundation's parser gives deep
    /// nesting and garbage the same error); the refusal now says how deep it was.
    @Test func deepNestingIsNamedNotCalledGarbage() {
        func nested(_ depth: Int) -> String { #"{"op":"say","text":"hi","x":"# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "}" }
        #expect(Self.refusal(nested(600)) == .malformed("arrays and objects nested 601 levels deep; keep a request under 500"))
        #expect(Self.refusal(nested(100)) == nil)
        #expect(Self.refusal(#"{"op":"say","text":"[[[[","x":[}"#) == .malformed("not JSON"))
        #expect(WireProtocol.nestingDepth(Array(#"{"a":"[[[{{{\"[[","b":[[1]]}"#.utf8)) == 3)
    }
}
