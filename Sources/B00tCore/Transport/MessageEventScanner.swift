import Foundation

/// The event most lines carry — a chat message, in a command's reply (`"events":[…]`) and on the stream —
/// read by hand (`FlatJSON.Cursor`). Why: a client decoded a `say`'s reply with `JSONDecoder`, which cost it more
/// than the daemon spent on the whole command once the daemon answered in its pipeline (2026-12-03). Any other
/// event, and any message it cannot read the way `Codable` does (an escape in a string, a fraction, an object
/// where a string was, a repeated key), is nil: the caller hands the line to the full decoder, so the scanner can
/// make a line faster, never read it differently. `MessageEventScannerTests` and the wire fuzzer check that.
enum MessageEventScanner {
    /// The event object at `cursor` when it is a message; nil (the cursor wherever it stopped) otherwise.
    static func event(_ cursor: inout FlatJSON.Cursor) -> BusEvent? {
        var seq: UInt64?, ts: Int64?, from: String?, conversation: String?, replyTo: UInt64?
        var body: BusEventBody?
        let read = cursor.object({ key, value in
            switch key {
            case "seq":
                guard case .number(let x) = value, let n = UInt64(exactly: x) else { return false }
                seq = n
            case "ts":
                guard case .number(let x) = value else { return false }
                ts = x
            case "from":
                guard case .string(let s) = value else { return false }
                from = s
            case "conversation_id":
                guard case .string(let s) = value else { return false }
                conversation = s
            case "reply_to":
                switch value {
                case .null: replyTo = nil
                case .number(let x):
                    guard let n = UInt64(exactly: x) else { return false }
                    replyTo = n
                default: return false
                }
            case "body": return false  // flat where an object belongs
            default: break  // unknown keys are ignored, as the decoder ignores them
            }
            return true
        }, nested: { key, inner in
            guard key == "body" else { return false }
            body = messageBody(&inner)
            return body != nil
        })
        guard read, let seq, let ts, let from, let conversation, let body else { return nil }
        return BusEvent(seq: seq, timestamp: BusTime.date(milliseconds: ts), from: from, conversationID: conversation,
                        replyTo: replyTo, body: body)
    }

    /// `{"message":{"crew":…,"to":…,"text":…}}`: an enum case's one key (`Codable` refuses a second), its fields.
    private static func messageBody(_ cursor: inout FlatJSON.Cursor) -> BusEventBody? {
        var message: BusEventBody?
        let read = cursor.object({ _, _ in false }, nested: { key, inner in
            guard key == "message" else { return false }
            var crew: String?, to: String?, text: String?
            let fields = inner.object({ key, value in
                switch key {
                case "crew", "to":
                    let optional: String?
                    switch value {
                    case .string(let s): optional = s
                    case .null: optional = nil
                    default: return false
                    }
                    if key == "crew" { crew = optional } else { to = optional }
                case "text":
                    guard case .string(let s) = value else { return false }
                    text = s
                default: break
                }
                return true
            }, nested: { _, _ in false })
            guard fields, let text else { return false }
            message = .message(crew: crew, to: to, text: text)
            return true
        })
        return read ? message : nil
    }

    /// `[event, …]` at `cursor`, every one a message; nil otherwise.
    static func events(_ cursor: inout FlatJSON.Cursor) -> [BusEvent]? {
        guard cursor.take(UInt8(ascii: "[")) else { return nil }
        var events: [BusEvent] = []
        if cursor.take(UInt8(ascii: "]")) { return events }
        while true {
            guard let event = event(&cursor) else { return nil }
            events.append(event)
            if cursor.take(UInt8(ascii: ",")) { continue }
            return cursor.take(UInt8(ascii: "]")) ? events : nil
        }
    }

    /// A whole body (the SQLite log's `body` column) that is a message.
    static func messageBody(_ bytes: UnsafeBufferPointer<UInt8>) -> BusEventBody? {
        var cursor = FlatJSON.Cursor(bytes)
        guard let body = messageBody(&cursor) else { return nil }
        cursor.skipSpace()
        return cursor.atEnd ? body : nil
    }

    /// A whole line that is one message event.
    static func event(_ bytes: UnsafeBufferPointer<UInt8>) -> BusEvent? {
        var cursor = FlatJSON.Cursor(bytes)
        guard let event = event(&cursor) else { return nil }
        cursor.skipSpace()
        return cursor.atEnd ? event : nil
    }
}
