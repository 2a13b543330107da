import B00tCore
import FuzzSupport

/// One socket line, read both ways: as a request (`WireProtocol.parse`, then the command the daemon builds) and
/// as a reply a client reads (the flat-reply scanner, else the full decoder). Whatever line the flat scanner
/// accepts, Foundation's parser must read the same, and whatever event or reply the message-event scanner reads,
/// `JSONDecoder` must read the same: a difference is a crash here.
runFuzzer { bytes in
    precondition(WireProtocol.flatScannerAgrees(Array(bytes)), "the flat scanner reads this line differently from Foundation")
    precondition(WireProtocol.envelopeReadersAgree(Array(bytes)), "the flat envelope reads this request differently from Foundation")
    precondition(WireProtocol.eventScannersAgree(Array(bytes)), "the message-event scanner reads this line differently from the decoder")
    _ = try? WireReply.parse(Array(bytes))
    guard let request = try? WireProtocol.parse(bytes) else { return }
    _ = try? WireProtocol.command(op: request.op, fields: request.fields, agent: "fuzzer")
}
