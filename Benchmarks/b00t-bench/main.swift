import B00tCore
import Foundation

/// Prints one JSON object of figures; `make bench` runs it from a release build. `B00T_BENCH_ONLY=a,b` runs
/// only those sections (tui, datum, orchestrator, bus, appends (part of bus), ipc, tuiload, soak, redis, crosshost, grok, mcp, mutation).
var figures: [String: Double] = [:]
let only = ProcessInfo.processInfo.environment["B00T_BENCH_ONLY"].map { Set($0.split(separator: ",").map(String.init)) }
func wanted(_ section: String) -> Bool { only?.contains(section) ?? true }
// First, so the scrollback's memory is measured on a fresh heap.
if wanted("tui") { do {
    for (key, value) in try await TUIBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("tui bench failed: \(error)\n".utf8))
} }
if wanted("datum") { figures["datum_load_ms_per_1000"] = DatumLoadBenchmark.run() }
if wanted("orchestrator") { do {
    let orchestration = try await OrchestratorBenchmark.run()
    figures["ensure_warm_overhead_ms"] = orchestration.warmInProcessMs
    figures["ensure_warm_whole_process_ms"] = orchestration.warmWholeProcessMs ?? .nan
    if let hello = orchestration.helloMs, let whole = orchestration.warmWholeProcessMs {
        figures["hello_foundation_ms"] = hello
        figures["ensure_warm_whole_process_vs_floor"] = whole / hello
    }
    if let hello = orchestration.helloStaticMs, let whole = orchestration.warmWholeProcessMs {
        figures["hello_foundation_static_stdlib_ms"] = hello
        figures["ensure_warm_whole_process_vs_static_floor"] = whole / hello
    }
    figures["cold_start_overhead_ms"] = orchestration.coldOverheadMs
} catch {
    FileHandle.standardError.write(Data("orchestrator bench failed: \(error)\n".utf8))
} }
if wanted("bus") { do {
    for (key, value) in try await BusBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("bus bench failed: \(error)\n".utf8))
} }
if !wanted("bus"), wanted("appends") { do {
    let dir = NSTemporaryDirectory() + "b00t-bench-appends-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    for (key, value) in try await BusBenchmark.singleCommandFigures(dir: dir) { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("appends bench failed: \(error)\n".utf8))
} }
if wanted("ipc") { do {
    for (key, value) in try await IPCBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("ipc bench failed: \(error)\n".utf8))
} }
// For a profiler, and only when named: one op (B00T_LOOP_OP, `say`) at a time for B00T_LOOP_SECONDS (10) against
// a memory daemon, from a task on the connection's loop as `ipc` times them; prints the p50.
if only?.contains("loop") == true { do {
    let env = ProcessInfo.processInfo.environment
    for (key, value) in try await IPCBenchmark.loop(op: env["B00T_LOOP_OP"] ?? "say",
                                                     seconds: env["B00T_LOOP_SECONDS"].flatMap(Double.init) ?? 10) {
        figures[key] = value
    }
} catch {
    FileHandle.standardError.write(Data("loop bench failed: \(error)\n".utf8))
} }
if wanted("tuiload") { do {
    for (key, value) in try await TUILoadBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("tui-under-load bench failed: \(error)\n".utf8))
} }
if wanted("soak") { do {
    for (key, value) in try await SoakBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("soak bench failed: \(error)\n".utf8))
} }
if wanted("redis") { do {
    for (key, value) in try await RedisBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("redis bench failed: \(error)\n".utf8))
} }
if wanted("crosshost") { do {
    for (key, value) in try await CrossHostBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("cross-host bench failed: \(error)\n".utf8))
} }
if wanted("grok") { do {
    for (key, value) in try GrokBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("grok bench failed: \(error)\n".utf8))
} }
if wanted("mcp") { do {
    for (key, value) in try await MCPBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("mcp bench failed: \(error)\n".utf8))
} }
if wanted("mutation") { do {
    for (key, value) in try await MutationBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("mutation bench failed: \(error)\n".utf8))
} }
let keys = figures.keys.sorted()
let body = keys.map { key -> String in
    let value = figures[key]!
    return "  \"\(key)\": " + (value.isNaN ? "null" : String(format: "%.3f", value))
}.joined(separator: ",\n")
print("{\n\(body)\n}")
