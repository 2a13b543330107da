#if canImport(Glibc)
import Glibc
#endif
import B00tCore
import Foundation

/// Process-runtime figures with a real redis-server on a free loopback port.
enum OrchestratorBenchmark {
    struct Figures {
        var warmInProcessMs: Double
        var warmWholeProcessMs: Double?
        var helloMs: Double? { OrchestratorBenchmark.lastFloor.dynamicMs }
        var helloStaticMs: Double? { OrchestratorBenchmark.lastFloor.staticMs }
        var coldOverheadMs: Double
    }

    static func run() async throws -> Figures {
        let root = NSTemporaryDirectory() + "b00t-bench-orch-\(getpid())"
        let datums = root + "/datums", state = root + "/state"
        try FileManager.default.createDirectory(atPath: datums, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let port = freePort()
        try """
        [b00t]
        name = "benchredis"
        type = "process"
        command = "redis-server"
        args = ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        [b00t.health_check]
        tcp = "127.0.0.1:\(port)"
        interval_ms = 20
        retry_count = 500
        """.write(toFile: datums + "/benchredis.process.toml", atomically: true, encoding: .utf8)
        let catalog = DatumLoader(searchPath: DatumSearchPath(folders: [datums])).load()
        var env = ProcessInfo.processInfo.environment
        env["B00T_DEBUG"] = nil
        let orchestrator = Orchestrator(catalog: catalog, paths: B00tPaths(stateDirectory: state), environment: env)
        do {
            let figures = try await measure(orchestrator, port: port, env: env, datums: datums, state: state, root: root)
            _ = try? await orchestrator.stop("benchredis.process", force: true)
            return figures
        } catch {
            _ = try? await orchestrator.stop("benchredis.process", force: true)
            throw error
        }
    }

    static func measure(_ orchestrator: Orchestrator, port: Int, env: [String: String], datums: String, state: String,
                        root: String) async throws -> Figures {

        // Cold: from the port's first accepted connection to ensure returning.
        var cold: [Double] = []
        for _ in 0..<10 {
            let watcher = AcceptWatcher(port: port)
            try await orchestrator.ensure(["benchredis.process"])
            let returned = DispatchTime.now().uptimeNanoseconds
            guard let accepted = watcher.stop() else { continue }
            cold.append(Double(Int64(returned) - Int64(accepted)) / 1e6)
            try await orchestrator.stop("benchredis.process", force: true)
        }

        try await orchestrator.ensure(["benchredis.process"])
        var warm: [Double] = []
        for _ in 0..<100 {
            let start = DispatchTime.now().uptimeNanoseconds
            try await orchestrator.ensure(["benchredis.process"])
            warm.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }

        var whole: [Double] = [], floor: [Double] = [], staticFloor: [Double] = []
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path + "/b00t"
        if FileManager.default.isExecutableFile(atPath: binary) {
            var cliEnv = env
            cliEnv["B00T_PATH"] = datums
            cliEnv["B00T_STATE_DIR"] = state
            // The floor: a Foundation hello-world built here with swiftc -O (dynamic, like b00t, and with the
            // Swift libraries linked statically), run alternately with `b00t up` so load hits both alike.
            let hellos = HelloFloor.build(in: root)
            for _ in 0..<30 {
                whole.append(try timedRun([binary, "up", "benchredis.process"],
                                          options: .init(workingDirectory: root, environment: cliEnv)))
                if let dynamic = hellos.dynamic { floor.append(try HelloFloor.time(dynamic)) }
                if let staticHello = hellos.staticStdlib { staticFloor.append(try HelloFloor.time(staticHello)) }
            }
        }
        if !floor.isEmpty { lastFloor.dynamicMs = median(floor) }
        if !staticFloor.isEmpty { lastFloor.staticMs = median(staticFloor) }
        return Figures(warmInProcessMs: median(warm), warmWholeProcessMs: whole.isEmpty ? nil : median(whole),
                       coldOverheadMs: median(cold))
    }
}

/// Connects to a port in a tight loop on its own thread and remembers when it first accepted.
final class AcceptWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var acceptedAt: UInt64?
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(port: Int) {
        Thread.detachNewThread { [self] in
            let address = HostPort(host: "127.0.0.1", port: port)
            while isRunning {
                if HealthProbe.tcp(address, timeoutMs: 50).healthy {
                    let now = DispatchTime.now().uptimeNanoseconds
                    lock.withLock { acceptedAt = now }
                    break
                }
                usleep(100)
            }
            done.signal()
        }
    }

    private var isRunning: Bool { lock.withLock { running && acceptedAt == nil } }

    func stop() -> UInt64? {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { acceptedAt }
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

func freePort() -> Int { LoopbackPort.free() }

/// Waits for async clean-up where only synchronous code may run (a `defer`): the bench's teardown only.
func blockingWait(_ work: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        await work()
        done.signal()
    }
    done.wait()
}

extension OrchestratorBenchmark {
    /// The hello-world floors of the last run (filled by `measure`).
    nonisolated(unsafe) static var lastFloor: (dynamicMs: Double?, staticMs: Double?) = (nil, nil)
}

/// A Foundation "hello" compiled with the same toolchain, the floor a whole-process start is compared with.
enum HelloFloor {
    static func build(in dir: String) -> (dynamic: String?, staticStdlib: String?) {
        let source = dir + "/hello.swift"
        let text = "import Foundation\nprint(\"hello \\(Date().timeIntervalSince1970) \\(ProcessInfo.processInfo.processIdentifier)\")\n"
        guard (try? text.write(toFile: source, atomically: true, encoding: .utf8)) != nil else { return (nil, nil) }
        func compile(_ output: String, _ extra: [String]) -> String? {
            guard let pid = try? Spawn.start(["/usr/bin/env", "swiftc", "-O", source, "-o", output] + extra),
                  Spawn.wait(pid, timeout: .seconds(180)) == 0,
                  FileManager.default.isExecutableFile(atPath: output) else { return nil }
            return output
        }
        return (compile(dir + "/hello", []), compile(dir + "/hello-static", ["-static-stdlib"]))
    }

    static func time(_ binary: String) throws -> Double { try timedRun([binary]) }
}

/// Milliseconds from spawning `argv` to its exit, waited for in a blocking `waitpid`: `Spawn.wait` polls with a
/// growing sleep (0.5, 1, 2 … 20 ms), which rounded a 21 ms `b00t up` up to 31.5 ms and a 9 ms hello up to
/// 15.5 ms — the ratio measured the back-off, not the programs. A watchdog kills a run that hangs (10 s).
func timedRun(_ argv: [String], options: Spawn.Options = .init()) throws -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    let pid = try Spawn.start(argv, options: options)
    final class Exited: @unchecked Sendable {
        let lock = NSLock()
        var value = false
    }
    let exited = Exited()
    DispatchQueue.global().asyncAfter(deadline: .now() + 10) {
        exited.lock.withLock { if !exited.value { kill(pid, SIGKILL) } }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    exited.lock.withLock { exited.value = true }
    guard Spawn.exitCode(status) == 0 else {
        throw BenchError("\(argv.joined(separator: " ")) exited with \(Spawn.exitCode(status))")
    }
    return elapsed
}
