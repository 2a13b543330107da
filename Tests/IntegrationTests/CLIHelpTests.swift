import Foundation
import Testing

/// Help is an answer, not an error. Regression: with b00t's own error printer, `b00t --help` printed
/// "Error: CommandError(… helpRequested …)" and exited 1 for every command.
@Suite struct CLIHelpTests {
    @Test(arguments: [["--help"], ["-h"], ["help"], ["help", "up"], ["up", "--help"], ["bus", "serve", "--help"],
                      ["bus"], ["agent", "run", "--help"], ["grok", "--help"], ["mcp", "serve", "--help"], ["datum", "--help"]])
    func helpPrintsUsageAndSucceeds(arguments: [String]) throws {
        let result = try run(Binaries.path("b00t"), arguments)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        #expect(result.stdout.contains("USAGE: b00t"), "\(arguments): \(result.stdout)")
        #expect(!result.stderr.contains("CommandError"), "\(arguments): \(result.stderr)")
    }

    @Test func usageErrorsStayUsageErrors() throws {
        let unknown = try run(Binaries.path("b00t"), ["ps", "--bogus"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("Unknown option '--bogus'"))
        #expect(unknown.stderr.contains("See 'b00t ps --help'"))
    }

    @Test func k0mmand3rHelpToo() throws {
        let result = try run(Binaries.path("k0mmand3r"), ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: k0mmand3r"))
    }
}
