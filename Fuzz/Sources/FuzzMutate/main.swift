import B00tCore
import FuzzSupport

/// The in-place datum editor and the unified diff reader on hostile input. The first byte picks edits; the
/// rest, up to a NUL, is a TOML file; after the NUL comes a diff. Every edit that succeeds must leave valid TOML
/// whose diff applies back exactly; a fuzzed diff may only be refused, never crash or hang.
runFuzzer { bytes in
    guard let selector = bytes.first else { return }
    let body = Array(bytes.dropFirst())
    let split = body.firstIndex(of: 0) ?? body.count
    let toml = Array(body[..<split])
    let diffBytes = split < body.count ? Array(body[(split + 1)...]) : []
    guard String(validating: toml, as: UTF8.self) != nil else { return }
    let all: [DatumEdit] = [
        .set(key: "desires", value: "7.2 \"q\" \\"), .set(key: "env.MODE", value: "fast"), .set(key: "image", value: "x:1"),
        .addUsage(UsageExample(description: "d # x", command: "run --it")), .setLearn("a\nb\"\"\"c"), .appendLearn("more"),
        .addDependency("git.cli"), .removeDependency("git.cli"),
    ]
    for (bit, edit) in all.enumerated() where selector & (1 << UInt8(bit)) != 0 {
        guard let out = try? DatumEditor.apply([edit], to: toml) else { continue }
        precondition((try? TOMLDocument.parse(String(decoding: out, as: UTF8.self))) != nil, "an edit produced invalid TOML")
        let diff = UnifiedDiff.make(old: toml, new: out, name: "fuzz.cli.toml")
        precondition((try? UnifiedDiff.apply(diff, to: toml)) == out, "a diff did not apply back")
    }
    if let diff = String(validating: diffBytes, as: UTF8.self) {
        if let out = try? UnifiedDiff.apply(diff, to: toml) { _ = UnifiedDiff.make(old: toml, new: out, name: "fuzz") }
    }
}
