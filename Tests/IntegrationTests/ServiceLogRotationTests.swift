#if canImport(Glibc)
import Glibc
#endif
import B00tTestSupport
import Foundation
import Testing
@testable import B00tCore

/// A chatty process service under the real `b00t up`: its output goes through `b00t service-log` and the log
/// never grows past the datum's bound; the copier ends with the service.
@Suite(.serialized) struct ServiceLogRotationTests {
    @Test func aChattyServiceCannotFillTheDisk() throws {
        let sandbox = ServiceSandbox()
        sandbox.write("chatty.process.toml", """
            [b00t]
            name = "chatty"
            type = "process"
            command = "sh"
            args = ["-c", "while true; do head -c 20000 /dev/zero | tr '\\\\0' 'x'; echo; done"]
            [b00t.resources]
            log_max_bytes = "64K"
            log_keep = 2
            """)
        var env = sandbox.cliEnvironment
        env["B00T_BIN"] = Binaries.path("b00t")
        let up = try run(Binaries.path("b00t"), ["up", "chatty.process"], environment: env)
        #expect(up.status == 0, "\(up.stderr)")
        let logs = sandbox.state.path + "/logs"
        let log = logs + "/chatty.process.log"
        func size(_ path: String) -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
        let deadline = Date().addingTimeInterval(15)
        while !FileManager.default.fileExists(atPath: log + ".2"), Date() < deadline { usleep(50_000) }
        // Well past the bound written by now; the files stay within it.
        Thread.sleep(forTimeInterval: 0.5)
        let files = try FileManager.default.contentsOfDirectory(atPath: logs).filter { $0.hasPrefix("chatty.process.log") }.sorted()
        #expect(files == ["chatty.process.log", "chatty.process.log.1", "chatty.process.log.2"], "\(files)")
        for file in files { #expect(size(logs + "/" + file) <= 64 * 1024 + 1_000, "\(file): \(size(logs + "/" + file))") }
        let mode = (try FileManager.default.attributesOfItem(atPath: log)[.posixPermissions] as? Int) ?? 0
        #expect(mode == 0o600)
        let writers = pids(matching: ["service-log", log])
        #expect(writers.count == 1, "one copier per service: \(writers)")

        let stop = try run(Binaries.path("b00t"), ["stop", "chatty.process"], environment: env)
        #expect(stop.status == 0, "\(stop.stderr)")
        let gone = Date().addingTimeInterval(5)
        while !pids(matching: ["service-log", log]).isEmpty, Date() < gone { usleep(20_000) }
        #expect(pids(matching: ["service-log", log]).isEmpty, "the copier ends with the service")
        // `b00t logs` still reads the live file.
        let tail = try run(Binaries.path("b00t"), ["logs", "chatty.process", "--lines", "3"], environment: env)
        #expect(tail.status == 0 && tail.stdout.contains("b00t: stopped chatty.process"), "\(tail.stdout)")
    }

    @Test func serviceLogRefusesBadBoundsByName() throws {
        let dir = TempDir("svclog")
        let small = try run(Binaries.path("b00t"), ["service-log", "--max-bytes", "10", dir.path + "/x.log"])
        #expect(small.status != 0 && small.stderr.contains("--max-bytes"), "\(small.stderr)")
        let keep = try run(Binaries.path("b00t"), ["service-log", "--keep", "0", dir.path + "/x.log"])
        #expect(keep.status != 0 && keep.stderr.contains("--keep"), "\(keep.stderr)")
    }
}
