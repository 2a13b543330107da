#if canImport(Glibc)
import Glibc
#endif
import Foundation
import B00tTestSupport
import Testing
@testable import B00tCore

/// Hostile or broken datum files: each is a positioned error (or warning), never a crash, hang or silent skip.
@Suite struct DatumHardeningTests {
    @Test func tomlThatAbortedTheProcessIsAPositionedError() {
        let folder = TempDir("datums")
        folder.write("bad.cli.toml", "[[[")
        folder.write("good.cli.toml", "[b00t]\nname = \"good\"\n")
        let catalog = folder.load()
        #expect(catalog.datums.keys.sorted() == ["good.cli"])
        let error = catalog.errors.first
        #expect(error?.line == 1 && error?.column == 3)
        #expect(error?.message.hasPrefix("TOML syntax error: expected a key, found '['") == true)
    }

    @Test(arguments: [
        ("\"..\"", "invalid datum name '..'"), ("\"a/b\"", "invalid datum name 'a/b'"),
        ("\"x\\u001b[2J\"", "invalid datum name"), ("\"x\\u202Ey\"", "invalid datum name"), ("\"\"", "invalid datum name"),
        ("\".hidden\"", "invalid datum name"), ("\"a\\nb\"", "invalid datum name"),
    ])
    func datumNamesOutsideTheCharacterSetAreRefused(name: String, expected: String) {
        let (datum, diagnostics) = decode("[b00t]\nname = \(name)\n", file: "x.cli.toml")
        #expect(datum == nil)
        let error = diagnostics.first { $0.isError }
        #expect(error?.message.contains(expected) == true, "\(diagnostics)")
        #expect(error?.key == "b00t.name")
        // No "rename the file to ../…" advice for a name that can never be a file name.
        #expect(!diagnostics.contains { $0.hint?.contains("rename the file to") == true })
    }

    @Test func datumTypeOutsideTheCharacterSetIsRefused() {
        let (datum, diagnostics) = decode("[b00t]\nname = \"x\"\ntype = \"../p\"\n", file: "x.toml")
        #expect(datum == nil)
        #expect(diagnostics.contains { $0.isError && $0.message == "invalid datum type '../p'" })
    }

    @Test(arguments: [
        ("retry_count = 9223372036854775807", "b00t.health_check.retry_count", "0 to 100000"),
        ("timeout_ms = 3000000000", "b00t.health_check.timeout_ms", "1 to 600000"),
        ("interval_ms = 0", "b00t.health_check.interval_ms", "1 to 600000"),
        ("start_period_ms = -1", "b00t.health_check.start_period_ms", "0 to 3600000"),
        ("expected_status = 1000", "b00t.health_check.expected_status", "100 to 599"),
    ])
    func healthNumbersAreRangeChecked(line: String, key: String, range: String) {
        let (datum, diagnostics) = decode("[b00t]\nname = \"x\"\ncommand = \"true\"\n[b00t.health_check]\n\(line)\n")
        #expect(datum == nil)
        let error = diagnostics.first
        #expect(error?.key == key)
        #expect(error?.line == 5)
        #expect(error?.hint?.contains(range) == true, "\(diagnostics)")
    }

    @Test func otherNumbersAreRangeChecked() {
        let cpu = decode("[b00t]\nname = \"x\"\n[b00t.resources]\ncpu_limit = -2\n").diagnostics.first
        #expect(cpu?.key == "b00t.resources.cpu_limit" && cpu?.message.contains("out of range") == true)
        let nan = decode("[b00t]\nname = \"x\"\n[b00t.resources]\ncpu_limit = nan\n").diagnostics.first
        #expect(nan?.key == "b00t.resources.cpu_limit")
        let lock = decode("[b00t]\nname = \"x\"\nlock_timeout_ms = 0\n").diagnostics.first
        #expect(lock?.key == "b00t.lock_timeout_ms" && lock?.hint?.contains("1 to 86400000") == true)
        #expect(decode("[b00t]\nname = \"x\"\nlock_timeout_ms = 5000\n").datum?.lockTimeoutMs == 5000)
    }

    @Test func bigRetryCountsCannotOverflowTheWaitBudget() {
        #expect(HealthCheck(intervalMs: Int.max, retryCount: Int.max, startPeriodMs: Int.max).waitBudgetMs == Int.max)
        #expect(HealthCheck(intervalMs: 20, retryCount: 250).waitBudgetMs == 5_000)
    }

    @Test(arguments: [
        ("args = [\"${A B}\"]", "b00t.args[0]"), ("command = \"${}\"", "b00t.command"),
        ("env = { X = \"${Y:?no}\" }", "b00t.env.X"), ("working_dir = \"${HOME\"", "b00t.working_dir"),
    ])
    func malformedVariableReferencesAreErrors(line: String, key: String) {
        let (datum, diagnostics) = decode("[b00t]\nname = \"x\"\n\(line)\n")
        #expect(datum == nil)
        #expect(diagnostics.first?.key == key, "\(diagnostics)")
        #expect(diagnostics.first?.message.hasPrefix("bad variable reference") == true)
    }

    @Test func skillNamesAreChecked() {
        let empty = decode("[b00t]\nname = \"a\"\nskills = [\"\"]\n", file: "a.agent.toml").diagnostics.first
        #expect(empty?.message == "invalid skill ''")
        #expect(empty?.hint?.contains("cannot be empty") == true)
        let escape = decode("[b00t]\nname = \"a\"\n[b00t.agent]\nskills = { \"x\\u001b]0;t\\u0007\" = 0.5 }\n", file: "a.agent.toml")
        #expect(escape.datum == nil)
        #expect(escape.diagnostics.first?.line == 4)
        let fine = decode("[b00t]\nname = \"a\"\nskills = [\"c++\", \"ci/cd\", \"machine learning\", \"日本語\"]\n", file: "a.agent.toml")
        #expect(fine.diagnostics.isEmpty)
    }

    @Test func fifoIsReportedWithoutBlocking() throws {
        let folder = TempDir("datums")
        #expect(mkfifo(folder.path + "/pipe.cli.toml", 0o600) == 0)
        let catalog = folder.load()
        #expect(catalog.errors.first?.message == "not a regular file")
    }

    @Test func invalidUTF8NamesTheLineAndColumn() {
        let folder = TempDir("datums")
        let path = folder.path + "/bin.cli.toml"
        _ = FileManager.default.createFile(atPath: path, contents: Data("[b00t]\nname = \"\u{e9}".utf8) + Data([0xFF, 0x0A]))
        let error = folder.load().errors.first
        #expect(error?.message.contains("not valid UTF-8 (byte 0xFF)") == true)
        #expect(error?.line == 2 && error?.column == 10)
    }

    @Test func oversizedFileIsRefusedBeforeReading() {
        let folder = TempDir("datums")
        folder.write("big.cli.toml", "[b00t]\nname = \"big\"\nhint = \"" + String(repeating: "x", count: TOMLLimits.maximumBytes) + "\"\n")
        #expect(folder.load().errors.first?.message.contains("limited to \(TOMLLimits.maximumBytes) bytes") == true)
    }

    @Test func searchFolderThatCannotBeReadIsAWarning() {
        let folder = TempDir("datums")
        let file = folder.write("not-a-folder", "x")
        let missing = folder.path + "/missing"
        let catalog = DatumLoader(searchPath: DatumSearchPath(folders: [file, missing, folder.path])).load()
        #expect(catalog.warnings.count == 1)
        #expect(catalog.warnings.first?.file == file)
        #expect(catalog.warnings.first?.message.contains("it is not a folder") == true)
    }
}

@Suite struct HealthURLTests {
    @Test(arguments: ["https://x/", "ftp://x/", "http://", "not a url", "http://h:99999/"])
    func unusableHealthURLsAreLoadErrors(url: String) {
        let (datum, diagnostics) = decode("[b00t]\nname = \"x\"\n[b00t.health_check]\nhttp_url = \"\(url)\"\n")
        #expect(datum == nil)
        #expect(diagnostics.first?.key == "b00t.health_check.http_url", "\(diagnostics)")
    }

    @Test func urlsWithVariablesValidateOnTheirDefaults() {
        #expect(decode("[b00t]\nname = \"x\"\n[b00t.health_check]\nhttp_url = \"http://127.0.0.1:${P:-8080}/h\"\n").diagnostics.isEmpty)
    }
}
