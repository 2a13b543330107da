import B00tCore
import Foundation

/// Runs a replay file (`*.k0`): one command a line, `#` comments, and directives `@as AGENT`, `@sleep MS`,
/// `@expect TEXT` (the previous command's output contains TEXT), `@expect-error TEXT` (it failed, with TEXT).
/// Stops at the first failed expectation and says where.
public struct ReplayRunner {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): \(message)" }
    }

    public struct Report: Sendable {
        public var commands = 0
        public var expectations = 0
        public var transcript: [String] = []
    }

    let session: Session
    /// Receives every command and its output as it runs (`b00t replay -v`, the REPL's pipe mode).
    let echo: (@Sendable (String) -> Void)?

    public init(session: Session, echo: (@Sendable (String) -> Void)? = nil) {
        self.session = session
        self.echo = echo
    }

    public func run(file path: String) async throws -> Report {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Failure(file: path, line: 0, message: "cannot read replay file")
        }
        return try await run(text: text, name: path)
    }

    public func run(text: String, name: String) async throws -> Report {
        var report = Report()
        var last = CommandOutcome()
        var lastLine = 0
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("@") {
                let (directive, argument) = Self.split(line)
                switch directive {
                case "@as":
                    guard !argument.isEmpty else { throw Failure(file: name, line: number, message: "@as needs an agent id") }
                    last = await session.run("/as \(argument)")
                    if last.failed { throw Failure(file: name, line: number, message: last.text) }
                case "@sleep":
                    guard let ms = Int(argument), ms >= 0 else { throw Failure(file: name, line: number, message: "@sleep needs milliseconds") }
                    try await Task.sleep(for: .milliseconds(ms))
                case "@expect":
                    report.expectations += 1
                    if last.failed {
                        throw Failure(file: name, line: number, message: "expected output containing '\(argument)', but line \(lastLine) failed: \(last.text)")
                    }
                    guard last.text.contains(argument) else {
                        throw Failure(file: name, line: number, message: "expected output containing '\(argument)', got: \(last.text.isEmpty ? "(nothing)" : last.text)")
                    }
                case "@expect-error":
                    report.expectations += 1
                    guard last.failed else {
                        throw Failure(file: name, line: number, message: "expected line \(lastLine) to fail with '\(argument)', but it succeeded: \(last.text)")
                    }
                    guard last.text.contains(argument) else {
                        throw Failure(file: name, line: number, message: "expected an error containing '\(argument)', got: \(last.text)")
                    }
                default:
                    let hint = closestMatch(to: directive, in: ["@as", "@sleep", "@expect", "@expect-error"]).map { " — did you mean \($0)?" } ?? ""
                    throw Failure(file: name, line: number, message: "unknown directive \(directive)\(hint)")
                }
                continue
            }
            last = await session.run(line)
            lastLine = number
            report.commands += 1
            echo?("> \(line)")
            for out in last.lines { echo?(out.text) }
            if last.quit { break }
        }
        return report
    }

    static func split(_ line: String) -> (String, String) {
        guard let space = line.firstIndex(of: " ") else { return (line, "") }
        return (String(line[..<space]), line[line.index(after: space)...].trimmingCharacters(in: .whitespaces))
    }
}
