import Foundation
import Testing
@testable import B00tCore

/// Every backend the shared bus suite runs over. Each `make` returns a fresh, empty log plus a way to
/// open a second handle on the same log (another "process" for the same store).
enum BackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory

    var testDescription: String { rawValue }

    func make() throws -> BusStore {
        switch self {
        case .memory:
            let backend = MemoryBusBackend()
            return BusStore(backend: backend, reopen: { backend })
        }
    }
}

/// A backend under test, and how to open it again.
struct BusStore: Sendable {
    var backend: any BusBackend
    var reopen: @Sendable () throws -> any BusBackend

    func bus() async throws -> MessageBus { try await MessageBus(backend: backend) }
}

let alphaPath: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path + "/_b00t_/alpha.agent.toml"
let betaPath = alphaPath.replacingOccurrences(of: "alpha.agent", with: "beta.agent")
