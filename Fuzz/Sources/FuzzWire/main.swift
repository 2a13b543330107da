import B00tCore
import FuzzSupport

/// One socket request line: `WireProtocol.parse`, then the command it asks for, as the daemon builds it.
runFuzzer { bytes in
    guard let request = try? WireProtocol.parse(bytes) else { return }
    _ = try? WireProtocol.command(op: request.op, fields: request.fields, agent: "fuzzer")
}
