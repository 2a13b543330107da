import B00tCore
import Dispatch
import Foundation
import FuzzSupport
import K0mmand3rKit

/// A replay file (`*.k0`) through `ReplayRunner` on a fresh in-memory bus: directives, comments and every
/// command line. The session sees an empty datum catalog and a private state directory, so `/up` and
/// friends only ever answer "no datum". Lines that touch files outside the run (`/record`, `/theme`,
/// `/grok`, `/lfmf`, `/advice`, `/share`, which also digests into grok) or only wait (`@sleep`, `@await`)
/// are dropped before the run: the first kind would let the fuzzer write or read anywhere, the second only
/// costs time.
let state = NSTemporaryDirectory() + "b00t-fuzz-replay-\(getpid())"
let emptyCatalog = DatumCatalog()

/// Whether a line's effects stay inside the run (the bus in memory, the private state directory).
func isContained(_ line: Substring) -> Bool {
    let trimmed = line.trimmingCharacters(in: .whitespaces)
    if trimmed.hasPrefix("@") {
        let directive = trimmed.split(separator: " ", maxSplits: 1).first.map(String.init) ?? trimmed
        return ["@as", "@expect", "@expect-error", "@allow-errors"].contains(directive)
    }
    guard let command = try? ReplCommand.parse(trimmed) else { return true }
    switch command {
    case .record, .theme, .grok, .share: return false
    default: return true
    }
}

final class Done: @unchecked Sendable {
    let semaphore = DispatchSemaphore(value: 0)
}

runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter(isContained).joined(separator: "\n")
    let done = Done()
    Task.detached {
        defer { done.semaphore.signal() }
        guard let bus = try? await MessageBus(backend: MemoryBusBackend()) else { return }
        let paths = B00tPaths(stateDirectory: state)
        let session = Session(bus: bus, agent: "fuzzer", catalog: { emptyCatalog },
                              orchestrator: { Orchestrator(catalog: emptyCatalog, paths: paths, environment: [:]) })
        _ = try? await ReplayRunner(session: session).run(text: kept, name: "fuzz.k0")
    }
    done.semaphore.wait()
}
