import FuzzSupport
import K0mmand3rKit

/// One k0mmand3r line through the command grammar (TUI, line mode, pipes and replay files share it).
runFuzzer { bytes in
    _ = try? ReplCommand.parse(String(decoding: bytes, as: UTF8.self))
}
