import B00tCore
import Dispatch
import Foundation
import FuzzSupport
import K0mmand3rKit

/// A replay file (`*.k0`) through `ReplayRunner` on a fresh in-memory bus: directives, comments and every
/// command line. The session sees an empty datum catalog and a private state directory, so `/up` and
/// friends only ever answer "no datum". Lines that write files (`/record`) or wait (`@sleep`) are dropped
/// before the run: the first would let the fuzzer write anywhere, the second only costs time.
let state = NSTemporaryDirectory() + "b00t-fuzz-replay-\(getpid())"
let emptyCatalog = DatumCatalog()

final class Done: @unchecked Sendable {
    let semaphore = DispatchSemaphore(value: 0)
}

runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    let kept = text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        return !trimmed.hasPrefix("/record") && !trimmed.hasPrefix("@sleep")
    }.joined(separator: "\n")
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
