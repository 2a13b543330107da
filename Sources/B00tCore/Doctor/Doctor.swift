import Foundation

/// One family of `b00t doctor` checks (packages, directories, the bus daemon…). A probe returns one or more
/// `DoctorCheck` lines; it never changes what it looks at (no chmod, no checkpoint, no record removed), so
/// doctor is safe to run at any moment, also while the crew works.
///
/// Probes take their inputs at construction (paths, environment, a package query, a command runner), so a
/// unit test can hand each one an in-memory world.
public protocol DoctorProbe: Sendable {
    /// Stable prefix of the check ids this probe reports (`packages`, `bus.daemon`…).
    var id: String { get }
    /// How long the runner waits for the probe. Past it the probe's line is `timedOut(after:)`, and the probe
    /// is abandoned (not waited for): a hung socket or engine must not hang doctor.
    var timeout: Duration { get }
    func run() async -> [DoctorCheck]
    /// What to report when the probe did not finish in time.
    func timedOut(after timeout: Duration) -> DoctorCheck
}

extension DoctorProbe {
    public var timeout: Duration { Doctor.probeTimeout }

    public func timedOut(after timeout: Duration) -> DoctorCheck {
        DoctorCheck(id, .fail, "did not finish within \(Doctor.seconds(timeout))",
                    fix: "something it reads is stuck (a socket, a process, a slow disk); run `b00t doctor` again, then look at `b00t ps`")
    }
}

/// Runs probes concurrently, each bounded by its own timeout, and keeps their lines in probe order.
public enum Doctor {
    /// The bound for probes that talk to something that may hang (sockets, `docker info`, `dpkg-query`).
    public static let probeTimeout: Duration = .seconds(3)
    /// The bound for probes that read whole files from the local disk (hashing the model, `quick_check`):
    /// slow on a big file or a cold cache, but they cannot hang the way a socket can.
    public static let diskTimeout: Duration = .seconds(30)

    public static func run(_ probes: [any DoctorProbe]) async -> DoctorReport {
        await withTaskGroup(of: (Int, [DoctorCheck]).self) { group in
            for (index, probe) in probes.enumerated() {
                group.addTask { (index, await bounded(probe)) }
            }
            var results = [[DoctorCheck]](repeating: [], count: probes.count)
            for await (index, checks) in group { results[index] = checks }
            return DoctorReport(checks: results.flatMap { $0 })
        }
    }

    /// The probe's lines, or its timeout line: whichever comes first. The loser is cancelled and not waited
    /// for (a task group would wait for it).
    static func bounded(_ probe: any DoctorProbe) async -> [DoctorCheck] {
        let race = FirstOf<[DoctorCheck]>()
        let timeout = probe.timeout
        let result = try? await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[DoctorCheck], Error>) in
            race.start(continuation)
            let work = Task { race.finish(.success(await probe.run())) }
            let timer = Task {
                try await Task.sleep(for: timeout)
                race.finish(.success([probe.timedOut(after: timeout)]))
            }
            race.whenDone { work.cancel(); timer.cancel() }
        }
        return result ?? [probe.timedOut(after: timeout)]
    }

    /// Runs blocking work (a syscall that may wait, a child process, hashing a file) on a thread of its own,
    /// so a stuck probe never parks one of the few cooperative threads the others need.
    public static func offThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }

    /// `1 entry`, `3 entries`.
    public static func count(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }

    /// `3 s`, `250 ms`.
    static func seconds(_ duration: Duration) -> String {
        let ms = duration.wholeMilliseconds
        return ms % 1000 == 0 ? "\(ms / 1000) s" : "\(ms) ms"
    }
}

/// Everything doctor found, in probe order: printed for people or as one JSON object for scripts.
public struct DoctorReport: Sendable, Equatable {
    public var checks: [DoctorCheck]

    public init(checks: [DoctorCheck]) { self.checks = checks }

    /// The worst status of all lines.
    public var status: DoctorCheck.Status {
        if checks.contains(where: { $0.status == .fail }) { return .fail }
        if checks.contains(where: { $0.status == .warn }) { return .warn }
        return .ok
    }

    /// 1 when any line is ✗, else 0: a warning is worth reading, not worth failing a script over.
    public var exitCode: Int32 { status == .fail ? 1 : 0 }

    /// `{"checks":[{"fix":…,"id":…,"status":…,"summary":…}],"status":…}`: exact text (no terminal escaping —
    /// JSON escapes control characters itself); `fix` is null when there is nothing to do.
    public func json() throws -> String {
        struct Line: Encodable {
            var id: String, status: DoctorCheck.Status, summary: String, fix: String?
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(id, forKey: .id)
                try container.encode(status, forKey: .status)
                try container.encode(summary, forKey: .summary)
                try container.encode(fix, forKey: .fix)
            }
            enum CodingKeys: String, CodingKey { case id, status, summary, fix }
        }
        struct Body: Encodable {
            var status: DoctorCheck.Status
            var checks: [Line]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = Body(status: status, checks: checks.map { Line(id: $0.name, status: $0.status, summary: $0.summary, fix: $0.fix) })
        return String(decoding: try encoder.encode(body), as: UTF8.self)
    }

    /// One line per check — glyph, id, summary — and an indented `fix:` line under ⚠ and ✗, then a count.
    /// Everything is escaped for the terminal (summaries quote paths, datum files and other programs'
    /// output); with `colour`, the glyphs are green, yellow and red.
    public func text(colour: Bool) -> String {
        let width = min(24, checks.map(\.name.count).max() ?? 0)
        var out = ""
        for check in checks {
            let id = TerminalText.line(check.name)
            let padded = id + String(repeating: " ", count: max(1, width - id.count + 2))
            out += Self.glyph(check.status, colour: colour) + " " + padded + TerminalText.line(check.summary) + "\n"
            if check.status != .ok, let fix = check.fix {
                out += "    fix: " + TerminalText.line(fix) + "\n"
            }
        }
        let fails = checks.filter { $0.status == .fail }.count
        let warns = checks.filter { $0.status == .warn }.count
        out += "\(Doctor.count(checks.count, "check", "checks")): \(checks.count - fails - warns) ok, "
            + "\(Doctor.count(warns, "warning", "warnings")), \(Doctor.count(fails, "failure", "failures"))\n"
        return out
    }

    static func glyph(_ status: DoctorCheck.Status, colour: Bool) -> String {
        guard colour else { return status.glyph }
        let code: String
        switch status {
        case .ok: code = "32"
        case .warn: code = "33"
        case .fail: code = "31"
        }
        return "\u{1B}[\(code)m\(status.glyph)\u{1B}[0m"
    }

    /// Colour only on a terminal, and never with `NO_COLOR` set (https://no-color.org) or `TERM=dumb`.
    public static func wantsColour(isTerminal: Bool, environment: [String: String]) -> Bool {
        guard isTerminal else { return false }
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }
}
