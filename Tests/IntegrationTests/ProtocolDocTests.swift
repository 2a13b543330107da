import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// The socat example in docs/protocol.md works as written.
@Suite struct ProtocolDocTests {
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/socat"), "socat is not installed"))
    func socatExampleFromTheDocs() async throws {
        let doc = try String(contentsOfFile: packageRoot + "/docs/protocol.md", encoding: .utf8)
        // The JSON lines of the documented printf, taken from the doc itself.
        let block = try #require(doc.components(separatedBy: "printf '%s\\n' \\\n").dropFirst().first)
        let lines = block.split(separator: "\n").prefix { $0.contains("'{") }.compactMap { line -> String? in
            guard let start = line.firstIndex(of: "'"), let end = line.lastIndex(of: "'"), start < end else { return nil }
            return String(line[line.index(after: start)..<end])
        }
        #expect(lines.count == 3)
        let server = try await TestBusServer()
        defer { Task { await server.stop() } }
        let socket = server.endpoint.socketPath
        let input = lines.joined(separator: "\n") + "\n"
        let result = try await offPool { try run("/usr/bin/socat", ["-t", "5", "-", "UNIX-CONNECT:" + socket], input: input) }
        let replies = result.stdout.split(separator: "\n")
        #expect(replies.count == 3, "\(result.stdout)\(result.stderr)")
        #expect(replies.allSatisfy { $0.contains(#""ok":true"#) })
        #expect(replies.last?.contains("hello crew") == true)
    }
}
