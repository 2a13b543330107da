import B00tCore
import Foundation

/// Prints one JSON object of figures; `make bench` runs it from a release build.
/// `b00t-bench grok bus` (or `B00T_BENCH=grok,bus`) runs only the named sections: tui, datum, orchestrator,
/// bus, ipc, redis, grok.
let requestedSections = Set((Array(CommandLine.arguments.dropFirst())
    + (ProcessInfo.processInfo.environment["B00T_BENCH"] ?? "").split(separator: ",").map(String.init))
    .filter { !$0.isEmpty })
func wants(_ section: String) -> Bool { requestedSections.isEmpty || requestedSections.contains(section) }
var figures: [String: Double] = [:]
// First, so the scrollback's memory is measured on a fresh heap.
if wants("tui") { do {
    for (key, value) in try await TUIBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("tui bench failed: \(error)\n".utf8))
} }
if wants("datum") { figures["datum_load_ms_per_1000"] = DatumLoadBenchmark.run() }
if wants("orchestrator") { do {
    let orchestration = try OrchestratorBenchmark.run()
    figures["ensure_warm_overhead_ms"] = orchestration.warmInProcessMs
    figures["ensure_warm_whole_process_ms"] = orchestration.warmWholeProcessMs ?? .nan
    figures["cold_start_overhead_ms"] = orchestration.coldOverheadMs
} catch {
    FileHandle.standardError.write(Data("orchestrator bench failed: \(error)\n".utf8))
} }
if wants("bus") { do {
    for (key, value) in try await BusBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("bus bench failed: \(error)\n".utf8))
} }
if wants("ipc") { do {
    for (key, value) in try await IPCBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("ipc bench failed: \(error)\n".utf8))
} }
if wants("redis") { do {
    for (key, value) in try await RedisBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("redis bench failed: \(error)\n".utf8))
} }
if wants("grok") { do {
    for (key, value) in try GrokBenchmark.run() { figures[key] = value }
} catch {
    FileHandle.standardError.write(Data("grok bench failed: \(error)\n".utf8))
} }
let keys = figures.keys.sorted()
let body = keys.map { key -> String in
    let value = figures[key]!
    return "  \"\(key)\": " + (value.isNaN ? "null" : String(format: "%.3f", value))
}.joined(separator: ",\n")
print("{\n\(body)\n}")
