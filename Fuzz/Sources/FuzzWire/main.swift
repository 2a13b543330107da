import B00tCore
import FuzzSupport

/// One socket line, read both ways: as a request (`WireProtocol.parse`, then the command the daemon builds) and
/// as a reply a client reads (the flat-reply scanner, else the full decoder).
runFuzzer { bytes in
    _ = try? WireReply.parse(Array(bytes))
    guard let request = try? WireProtocol.parse(bytes) else { return }
    _ = try? WireProtocol.command(op: request.op, fields: request.fields, agent: "fuzzer")
}
