import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Every backend the shared bus suite runs over. Each `make` returns a fresh, empty log plus a way to
/// open a second handle on the same log (another "process" for the same store).
enum BackendKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case sqlite
    case redis

    /// Every backend that can run here: Redis only where a redis-server binary is installed.
    static var allCases: [BackendKind] { RedisTestServer.available ? [.memory, .sqlite, .redis] : [.memory, .sqlite] }

    var testDescription: String { rawValue }

    func make() throws -> BusStore {
        switch self {
        case .memory:
            let backend = MemoryBusBackend()
            return BusStore(backend: backend, reopen: { backend })
        case .sqlite:
            let dir = TempDir("bus", keep: true)
            let path = dir.path + "/bus.sqlite"
            return BusStore(backend: try SQLiteBusBackend(path: path), reopen: { _ = dir; return try SQLiteBusBackend(path: path) })
        case .redis:
            let url = RedisTestServer.url()
            return BusStore(backend: try RedisBusBackend(url), reopen: { try RedisBusBackend(url) })
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

/// A clock tests move by hand (bus validation reads time only through the clock it is given).
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date(timeIntervalSince1970: 1_000_000)
    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}
