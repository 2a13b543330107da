import Foundation
import Testing
import B00tTestSupport
@testable import B00tCore

/// The hand-read message events (replies, stream lines, SQLite bodies) must read exactly what `JSONDecoder`
/// reads, or give the line to it.
@Suite struct MessageEventScannerTests {
    static func decoded(_ bytes: [UInt8]) -> BusEvent? { try? WireProtocol.decoder.decode(BusEvent.self, from: Data(bytes)) }
    static func scanned(_ bytes: [UInt8]) -> BusEvent? { bytes.withUnsafeBufferPointer { MessageEventScanner.event($0) } }

    /// Random messages as the server encodes them: plain texts are read by hand, the rest fall back, and what
    /// the scanner reads equals the decoder's event.
    @Test func randomMessagesReadAsTheDecoderReadsThem() {
        var rng = SplitMix(seed: 42)
        let texts = ["hi", "round trip 3.17", "déjà vu ✓ 🚀", "a \"quoted\" word", "back\\slash", "line\nbreak", "tab\there", "", "  spaced  "]
        var byHand = 0
        for i in 0..<3_000 {
            let text = texts[Int(rng.next() % UInt64(texts.count))] + (rng.next() % 2 == 0 ? " \(i)" : "")
            let event = BusEvent(seq: rng.next() % 10_000_000 + 1, timestamp: BusTime.date(milliseconds: Int64(rng.next() % 4_000_000_000_000)),
                                 from: "agent-\(rng.next() % 9)", conversationID: "evt-\(i)",
                                 replyTo: rng.next() % 3 == 0 ? rng.next() % 1_000 : nil,
                                 body: .message(crew: rng.next() % 2 == 0 ? "crew-1" : nil, to: rng.next() % 4 == 0 ? "bob" : nil, text: text))
            let bytes = EventJSON.encode(event)
            #expect(Self.decoded(bytes) == event)
            if let fast = Self.scanned(bytes) {
                byHand += 1
                #expect(fast == event, "\(String(decoding: bytes, as: UTF8.self))")
            } else {
                // Only an escape sends a message to the decoder.
                #expect(bytes.contains(UInt8(ascii: "\\")), "\(String(decoding: bytes, as: UTF8.self)) should be read by hand")
            }
            #expect(WireProtocol.eventScannersAgree(bytes))
            // The same event in a command's reply, and on the stream.
            let reply = Array(Conversation.okReply(.number(Int64(i)), op: "say", events: [event, event]).utf8.dropLast())
            #expect(WireProtocol.eventScannersAgree(reply))
            if !bytes.contains(UInt8(ascii: "\\")) {
                let read = reply.withUnsafeBufferPointer { FlatReplyScanner.scan($0) }
                #expect(read?.events == [event, event] && read?.op == "say" && read?.ok == true)
            }
            #expect((try? WireProtocol.decodeEvent(Data(bytes))) == event)
        }
        #expect(byHand > 1_500)
    }

    /// Every other kind of event goes to the decoder, and a reply carrying one does too.
    @Test func otherEventsGoToTheDecoder() async throws {
        let bus = try await MessageBus()
        try await BusSnapshotStoreTests.randomHistory(on: bus, commands: 600, seed: 7)
        let log = try await bus.events()
        var kinds = Set<String>()
        for event in log {
            let bytes = EventJSON.encode(event)
            #expect(WireProtocol.eventScannersAgree(bytes))
            let reply = Array(Conversation.okReply(.number(1), op: "x", events: [event]).utf8.dropLast())
            #expect(WireProtocol.eventScannersAgree(reply))
            if case .message = event.body { continue }
            kinds.insert(event.body.kind)
            #expect(Self.scanned(bytes) == nil)
            #expect(reply.withUnsafeBufferPointer { FlatReplyScanner.scan($0) } == nil)
        }
        #expect(kinds.count >= 8)
    }

    /// Lines the decoder reads differently or refuses are never read by hand; lines it reads alike may be.
    @Test func trickyLinesAgree() {
        let base = #""seq":3,"ts":1796307612773,"from":"a","conversation_id":"evt-3""#
        let refused = [
            "{\(base),\"body\":{\"message\":{\"text\":\"x\"},\"extra\":{}}}",            // a second case key
            "{\(base),\"body\":{\"message\":{\"text\":3}}}",                              // text not a string
            "{\(base),\"body\":{\"message\":{\"crew\":\"c\"}}}",                          // no text
            "{\(base),\"seq\":4,\"body\":{\"message\":{\"text\":\"x\"}}}",                // repeated key
            "{\"seq\":-3,\"ts\":1,\"from\":\"a\",\"conversation_id\":\"c\",\"body\":{\"message\":{\"text\":\"x\"}}}",
            "{\"seq\":3,\"ts\":1.5,\"from\":\"a\",\"conversation_id\":\"c\",\"body\":{\"message\":{\"text\":\"x\"}}}",
            "{\(base),\"body\":{\"message\":{\"text\":\"x\",\"more\":[1]}}}",             // nested unknown field
            "{\(base),\"body\":\"message\"}",
            "{\(base),\"body\":{\"message\":{\"text\":\"x\"}}",                           // unclosed
            "{\(base),\"body\":{\"message\":{\"text\":\"x\"}}} trailing",
            "{\(base),\"reply_to\":\"2\",\"body\":{\"message\":{\"text\":\"x\"}}}",
        ]
        for line in refused {
            let bytes = Array(line.utf8)
            #expect(Self.scanned(bytes) == nil, "\(line)")
            #expect(WireProtocol.eventScannersAgree(bytes), "\(line)")
        }
        let accepted = [
            "{\(base),\"body\":{\"message\":{\"text\":\"x\"}},\"unknown\":true}",        // unknown keys are ignored
            " { \(base) , \"body\" : { \"message\" : { \"to\" : null , \"text\" : \"x\" } } } ",
            "{\(base),\"reply_to\":null,\"body\":{\"message\":{\"text\":\"x\",\"note\":\"ignored\"}}}",
        ]
        for line in accepted {
            let bytes = Array(line.utf8)
            #expect(Self.scanned(bytes) != nil, "\(line)")
            #expect(Self.scanned(bytes) == Self.decoded(bytes), "\(line)")
            #expect(WireProtocol.eventScannersAgree(bytes), "\(line)")
        }
    }
}
